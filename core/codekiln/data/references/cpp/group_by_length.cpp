#include <map>
#include <string>
#include <vector>

std::map<long long, std::vector<std::string>> group_by_length(std::vector<std::string> words) {
    std::map<long long, std::vector<std::string>> groups;
    for (const std::string& word : words) groups[static_cast<long long>(word.size())].push_back(word);
    return groups;
}
