#include <cctype>
#include <string>
#include <utility>
#include <vector>

std::string decode_string(std::string text) {
    std::vector<std::pair<std::string, long long>> stack;  // the text before a group, and its count
    std::string current;
    long long number = 0;
    for (char ch : text) {
        if (std::isdigit(static_cast<unsigned char>(ch))) {
            number = number * 10 + (ch - '0');
        } else if (ch == '[') {
            stack.emplace_back(std::move(current), number);
            current.clear();
            number = 0;
        } else if (ch == ']') {
            auto [outer, repeat] = std::move(stack.back());
            stack.pop_back();
            for (long long i = 0; i < repeat; ++i) outer += current;
            current = std::move(outer);
        } else {
            current += ch;
        }
    }
    return current;
}
