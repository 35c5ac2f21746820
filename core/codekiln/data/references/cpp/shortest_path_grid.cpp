#include <queue>
#include <string>
#include <utility>
#include <vector>

long long shortest_path_grid(std::vector<std::string> grid) {
    const int rows = static_cast<int>(grid.size()), cols = static_cast<int>(grid[0].size());
    std::vector<std::vector<long long>> dist(rows, std::vector<long long>(cols, -1));
    std::queue<std::pair<int, int>> queue;
    for (int r = 0; r < rows; ++r) {
        for (int c = 0; c < cols; ++c) {
            if (grid[r][c] == 'S') {
                dist[r][c] = 0;
                queue.push({r, c});
            }
        }
    }
    const int dr[] = {1, -1, 0, 0}, dc[] = {0, 0, 1, -1};
    while (!queue.empty()) {
        auto [r, c] = queue.front();
        queue.pop();
        if (grid[r][c] == 'E') return dist[r][c];
        for (int k = 0; k < 4; ++k) {
            int nr = r + dr[k], nc = c + dc[k];
            if (nr >= 0 && nr < rows && nc >= 0 && nc < cols && grid[nr][nc] != '#' && dist[nr][nc] < 0) {
                dist[nr][nc] = dist[r][c] + 1;
                queue.push({nr, nc});
            }
        }
    }
    return -1;
}
