#include <vector>

long long min_coins(std::vector<long long> coins, long long amount) {
    const long long unreachable = amount + 1;
    std::vector<long long> best(amount + 1, unreachable);
    best[0] = 0;
    for (long long total = 1; total <= amount; ++total) {
        for (long long coin : coins) {
            if (coin <= total && best[total - coin] + 1 < best[total]) best[total] = best[total - coin] + 1;
        }
    }
    return best[amount] != unreachable ? best[amount] : -1;
}
