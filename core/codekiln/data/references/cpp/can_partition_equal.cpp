#include <numeric>
#include <vector>

bool can_partition_equal(std::vector<long long> values) {
    long long total = std::accumulate(values.begin(), values.end(), 0LL);
    if (total % 2 != 0) return false;
    long long half = total / 2;
    std::vector<bool> reachable(half + 1, false);
    reachable[0] = true;
    for (long long v : values) {
        for (long long s = half; s >= v; --s) {
            if (reachable[s - v]) reachable[s] = true;
        }
    }
    return reachable[half];
}
