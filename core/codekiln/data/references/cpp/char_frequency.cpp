#include <cctype>
#include <map>
#include <string>

std::map<std::string, long long> char_frequency(std::string text) {
    std::map<std::string, long long> counts;
    for (char ch : text) {
        char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (lower >= 'a' && lower <= 'z') ++counts[std::string(1, lower)];
    }
    return counts;
}
