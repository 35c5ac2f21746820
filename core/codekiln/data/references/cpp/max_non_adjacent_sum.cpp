#include <algorithm>
#include <vector>

long long max_non_adjacent_sum(std::vector<long long> values) {
    long long take = 0, skip = 0;  // the best sums whose last element is taken / not taken
    for (long long v : values) {
        long long taken = skip + v;
        skip = std::max(take, skip);
        take = taken;
    }
    return std::max(take, skip);
}
