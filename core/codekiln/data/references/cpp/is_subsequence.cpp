#include <string>

bool is_subsequence(std::string pattern, std::string text) {
    std::size_t i = 0;
    for (char ch : text) {
        if (i < pattern.size() && pattern[i] == ch) ++i;
    }
    return i == pattern.size();
}
