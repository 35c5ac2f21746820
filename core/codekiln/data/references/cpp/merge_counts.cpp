#include <map>
#include <string>

std::map<std::string, long long> merge_counts(std::map<std::string, long long> first, std::map<std::string, long long> second) {
    for (const auto& [name, count] : second) first[name] += count;
    std::map<std::string, long long> result;
    for (const auto& [name, total] : first) {
        if (total != 0) result.emplace(name, total);
    }
    return result;
}
