#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

long long edit_distance(std::string source, std::string target) {
    std::vector<long long> previous(target.size() + 1);
    std::iota(previous.begin(), previous.end(), 0LL);
    for (std::size_t i = 1; i <= source.size(); ++i) {
        std::vector<long long> current(target.size() + 1);
        current[0] = static_cast<long long>(i);
        for (std::size_t j = 1; j <= target.size(); ++j) {
            long long replace = previous[j - 1] + (source[i - 1] != target[j - 1] ? 1 : 0);
            current[j] = std::min({previous[j] + 1, current[j - 1] + 1, replace});
        }
        previous = std::move(current);
    }
    return previous.back();
}
