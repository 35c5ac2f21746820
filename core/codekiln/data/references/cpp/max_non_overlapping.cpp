#include <algorithm>
#include <tuple>
#include <vector>

long long max_non_overlapping(std::vector<std::tuple<long long, long long>> intervals) {
    std::sort(intervals.begin(), intervals.end(),
              [](const auto& a, const auto& b) { return std::get<1>(a) < std::get<1>(b); });
    long long chosen = 0;
    bool any = false;
    long long last_end = 0;
    for (const auto& [start, end] : intervals) {
        if (!any || start >= last_end) {
            ++chosen;
            last_end = end;
            any = true;
        }
    }
    return chosen;
}
