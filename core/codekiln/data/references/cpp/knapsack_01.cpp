#include <algorithm>
#include <vector>

long long knapsack_01(std::vector<long long> weights, std::vector<long long> values, long long capacity) {
    std::vector<long long> best(capacity + 1, 0);
    for (std::size_t i = 0; i < weights.size(); ++i) {
        for (long long room = capacity; room >= weights[i]; --room) {
            best[room] = std::max(best[room], best[room - weights[i]] + values[i]);
        }
    }
    return best[capacity];
}
