#include <cctype>
#include <string>

std::string capitalize_words(std::string text) {
    bool word_start = true;
    for (char& ch : text) {
        unsigned char c = static_cast<unsigned char>(ch);
        if (ch == ' ') {
            word_start = true;
            continue;
        }
        ch = static_cast<char>(word_start ? std::toupper(c) : std::tolower(c));
        word_start = false;
    }
    return text;
}
