#include <algorithm>
#include <tuple>
#include <vector>

std::vector<std::tuple<long long, long long>> interval_intersections(std::vector<std::tuple<long long, long long>> first, std::vector<std::tuple<long long, long long>> second) {
    std::vector<std::tuple<long long, long long>> result;
    std::size_t i = 0, j = 0;
    while (i < first.size() && j < second.size()) {
        auto [first_start, first_end] = first[i];
        auto [second_start, second_end] = second[j];
        long long start = std::max(first_start, second_start);
        long long end = std::min(first_end, second_end);
        if (start <= end) result.emplace_back(start, end);
        if (first_end < second_end) {
            ++i;
        } else {
            ++j;
        }
    }
    return result;
}
