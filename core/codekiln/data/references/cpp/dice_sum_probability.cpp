#include <vector>

double dice_sum_probability(long long dice, long long target) {
    if (target < 0 || target > 6 * dice) return 0.0;
    std::vector<double> probability = {1.0};  // probability[s] = P(sum == s) for the dice rolled so far
    for (long long d = 0; d < dice; ++d) {
        std::vector<double> next(probability.size() + 6, 0.0);
        for (std::size_t total = 0; total < probability.size(); ++total) {
            for (int face = 1; face <= 6; ++face) next[total + face] += probability[total] / 6;
        }
        probability = std::move(next);
    }
    return probability[target];
}
