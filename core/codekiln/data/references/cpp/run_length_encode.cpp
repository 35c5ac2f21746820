#include <string>

std::string run_length_encode(std::string text) {
    std::string encoded;
    for (std::size_t i = 0; i < text.size();) {
        std::size_t j = i;
        while (j < text.size() && text[j] == text[i]) ++j;
        encoded += text[i];
        encoded += std::to_string(j - i);
        i = j;
    }
    return encoded;
}
