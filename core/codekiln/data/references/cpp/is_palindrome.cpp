#include <cctype>
#include <string>

bool is_palindrome(std::string text) {
    std::string cleaned;
    for (char ch : text) {
        unsigned char c = static_cast<unsigned char>(ch);
        if (std::isalnum(c)) cleaned += static_cast<char>(std::tolower(c));
    }
    return std::string(cleaned.rbegin(), cleaned.rend()) == cleaned;
}
