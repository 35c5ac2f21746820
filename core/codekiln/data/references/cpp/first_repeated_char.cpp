#include <optional>
#include <set>
#include <string>

std::optional<std::string> first_repeated_char(std::string text) {
    std::set<char> seen;
    for (char ch : text) {
        if (!seen.insert(ch).second) return std::string(1, ch);
    }
    return std::nullopt;
}
