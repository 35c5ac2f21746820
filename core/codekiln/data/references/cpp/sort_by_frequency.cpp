#include <algorithm>
#include <map>
#include <string>
#include <vector>

std::string sort_by_frequency(std::string text) {
    std::map<char, long long> counts;
    for (char ch : text) ++counts[ch];
    std::vector<std::pair<char, long long>> ordered(counts.begin(), counts.end());
    std::stable_sort(ordered.begin(), ordered.end(),  // the map is in character order already
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    std::string result;
    for (const auto& [ch, count] : ordered) result.append(static_cast<std::size_t>(count), ch);
    return result;
}
