#include <string>
#include <vector>

long long grid_paths(std::vector<std::string> grid) {
    const std::size_t cols = grid[0].size();
    std::vector<long long> ways(cols, 0);
    ways[0] = 1;
    for (const std::string& line : grid) {
        for (std::size_t c = 0; c < cols; ++c) {
            if (line[c] == '#') {
                ways[c] = 0;
            } else if (c > 0) {
                ways[c] += ways[c - 1];
            }
        }
    }
    return ways.back();
}
