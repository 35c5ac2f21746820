#include <algorithm>
#include <tuple>
#include <vector>

std::vector<std::tuple<long long, long long>> merge_intervals(std::vector<std::tuple<long long, long long>> intervals) {
    std::sort(intervals.begin(), intervals.end());
    std::vector<std::tuple<long long, long long>> merged;
    for (const auto& [start, end] : intervals) {
        if (!merged.empty() && start <= std::get<1>(merged.back())) {
            std::get<1>(merged.back()) = std::max(std::get<1>(merged.back()), end);
        } else {
            merged.emplace_back(start, end);
        }
    }
    return merged;
}
