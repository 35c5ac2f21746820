#include <algorithm>
#include <string>
#include <vector>

std::vector<std::string> distinct_permutations(std::string text) {
    std::sort(text.begin(), text.end());
    std::vector<std::string> result;
    do {
        result.push_back(text);
    } while (std::next_permutation(text.begin(), text.end()));
    return result;
}
