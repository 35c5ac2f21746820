#include <string>
#include <utility>
#include <vector>

long long count_islands(std::vector<std::string> grid) {
    const int rows = static_cast<int>(grid.size());
    const int cols = rows > 0 ? static_cast<int>(grid[0].size()) : 0;
    long long islands = 0;
    std::vector<std::pair<int, int>> stack;
    for (int r = 0; r < rows; ++r) {
        for (int c = 0; c < cols; ++c) {
            if (grid[r][c] != '#') continue;
            ++islands;
            grid[r][c] = '.';  // sunk: visited
            stack.push_back({r, c});
            while (!stack.empty()) {
                auto [y, x] = stack.back();
                stack.pop_back();
                const int dy[] = {1, -1, 0, 0};
                const int dx[] = {0, 0, 1, -1};
                for (int k = 0; k < 4; ++k) {
                    int ny = y + dy[k], nx = x + dx[k];
                    if (ny >= 0 && ny < rows && nx >= 0 && nx < cols && grid[ny][nx] == '#') {
                        grid[ny][nx] = '.';
                        stack.push_back({ny, nx});
                    }
                }
            }
        }
    }
    return islands;
}
