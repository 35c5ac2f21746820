#include <algorithm>
#include <vector>

long long min_path_sum(std::vector<std::vector<long long>> grid) {
    const std::size_t cols = grid[0].size();
    std::vector<long long> best(cols, 0);
    for (std::size_t r = 0; r < grid.size(); ++r) {
        for (std::size_t c = 0; c < cols; ++c) {
            long long value = grid[r][c];
            if (r == 0 && c == 0) {
                best[c] = value;
            } else if (r == 0) {
                best[c] = best[c - 1] + value;
            } else if (c == 0) {
                best[c] += value;
            } else {
                best[c] = std::min(best[c], best[c - 1]) + value;
            }
        }
    }
    return best.back();
}
