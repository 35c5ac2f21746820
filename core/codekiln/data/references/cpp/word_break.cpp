#include <set>
#include <string>
#include <vector>

bool word_break(std::string text, std::vector<std::string> words) {
    std::set<std::string> vocabulary(words.begin(), words.end());
    std::vector<bool> can_end(text.size() + 1, false);
    can_end[0] = true;
    for (std::size_t end = 1; end <= text.size(); ++end) {
        for (const std::string& word : vocabulary) {
            if (word.size() <= end && can_end[end - word.size()] && text.compare(end - word.size(), word.size(), word) == 0) {
                can_end[end] = true;
                break;
            }
        }
    }
    return can_end[text.size()];
}
