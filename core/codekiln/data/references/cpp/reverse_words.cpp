#include <sstream>
#include <string>
#include <vector>

std::string reverse_words(std::string text) {
    std::vector<std::string> words;
    std::istringstream stream(text);
    for (std::string word; stream >> word;) words.push_back(word);
    std::string result;
    for (auto it = words.rbegin(); it != words.rend(); ++it) {
        if (!result.empty()) result += ' ';
        result += *it;
    }
    return result;
}
