#include <algorithm>
#include <tuple>
#include <utility>
#include <vector>

long long min_meeting_rooms(std::vector<std::tuple<long long, long long>> meetings) {
    std::vector<std::pair<long long, int>> events;
    for (const auto& [start, end] : meetings) {
        events.emplace_back(start, 1);
        events.emplace_back(end, -1);
    }
    std::sort(events.begin(), events.end());  // at equal times, ends (-1) come before starts (+1)
    long long in_use = 0, best = 0;
    for (const auto& [time, delta] : events) {
        in_use += delta;
        best = std::max(best, in_use);
    }
    return best;
}
