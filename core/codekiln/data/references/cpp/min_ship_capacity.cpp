#include <algorithm>
#include <numeric>
#include <vector>

long long min_ship_capacity(std::vector<long long> weights, long long days) {
    auto days_needed = [&](long long capacity) {
        long long used = 1, load = 0;
        for (long long w : weights) {
            if (load + w > capacity) {
                ++used;
                load = 0;
            }
            load += w;
        }
        return used;
    };
    long long low = *std::max_element(weights.begin(), weights.end());
    long long high = std::accumulate(weights.begin(), weights.end(), 0LL);
    while (low < high) {
        long long mid = low + (high - low) / 2;
        if (days_needed(mid) <= days) {
            high = mid;
        } else {
            low = mid + 1;
        }
    }
    return low;
}
