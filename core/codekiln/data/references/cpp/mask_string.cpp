#include <string>

std::string mask_string(std::string text, long long visible) {
    long long length = static_cast<long long>(text.size());
    for (long long i = 0; i < length - visible; ++i) text[i] = '#';
    return text;
}
