#include <vector>

long long coin_change_ways(std::vector<long long> coins, long long amount) {
    std::vector<long long> ways(amount + 1, 0);
    ways[0] = 1;
    for (long long coin : coins) {
        for (long long total = coin; total <= amount; ++total) ways[total] += ways[total - coin];
    }
    return ways[amount];
}
