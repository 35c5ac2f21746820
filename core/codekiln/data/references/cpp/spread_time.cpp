#include <algorithm>
#include <queue>
#include <string>
#include <utility>
#include <vector>

long long spread_time(std::vector<std::string> grid) {
    const int rows = static_cast<int>(grid.size());
    const int cols = rows > 0 ? static_cast<int>(grid[0].size()) : 0;
    std::vector<std::vector<long long>> minute(rows, std::vector<long long>(cols, -1));
    std::queue<std::pair<int, int>> queue;
    long long healthy = 0;
    for (int r = 0; r < rows; ++r) {
        for (int c = 0; c < cols; ++c) {
            if (grid[r][c] == 'I') {
                minute[r][c] = 0;
                queue.push({r, c});
            } else if (grid[r][c] == 'H') {
                ++healthy;
            }
        }
    }
    long long elapsed = 0;
    const int dr[] = {1, -1, 0, 0}, dc[] = {0, 0, 1, -1};
    while (!queue.empty()) {
        auto [r, c] = queue.front();
        queue.pop();
        for (int k = 0; k < 4; ++k) {
            int nr = r + dr[k], nc = c + dc[k];
            if (nr >= 0 && nr < rows && nc >= 0 && nc < cols && grid[nr][nc] == 'H' && minute[nr][nc] < 0) {
                minute[nr][nc] = minute[r][c] + 1;
                elapsed = std::max(elapsed, minute[nr][nc]);
                --healthy;
                queue.push({nr, nc});
            }
        }
    }
    return healthy == 0 ? elapsed : -1;
}
