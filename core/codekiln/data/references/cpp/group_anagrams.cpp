#include <algorithm>
#include <map>
#include <string>
#include <vector>

std::vector<std::vector<std::string>> group_anagrams(std::vector<std::string> words) {
    std::vector<std::vector<std::string>> groups;
    std::map<std::string, std::size_t> group_of;  // sorted letters -> index in groups
    for (const std::string& word : words) {
        std::string key = word;
        std::sort(key.begin(), key.end());
        auto [it, added] = group_of.try_emplace(key, groups.size());
        if (added) groups.emplace_back();
        groups[it->second].push_back(word);
    }
    return groups;
}
