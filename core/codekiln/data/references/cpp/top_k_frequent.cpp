#include <algorithm>
#include <map>
#include <vector>

std::vector<long long> top_k_frequent(std::vector<long long> values, long long k) {
    std::map<long long, long long> counts;
    for (long long v : values) ++counts[v];
    std::vector<std::pair<long long, long long>> ordered(counts.begin(), counts.end());
    std::stable_sort(ordered.begin(), ordered.end(),  // the map is in value order already
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    std::vector<long long> result;
    for (std::size_t i = 0; i < ordered.size() && static_cast<long long>(i) < k; ++i) result.push_back(ordered[i].first);
    return result;
}
