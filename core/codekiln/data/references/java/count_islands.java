import java.util.*;

class Solution {
    public static long countIslands(List<String> grid) {
        int rows = grid.size();
        int cols = rows == 0 ? 0 : grid.get(0).length();
        boolean[][] seen = new boolean[rows][cols];
        int[][] steps = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}};
        long islands = 0;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                if (grid.get(r).charAt(c) != '#' || seen[r][c]) {
                    continue;
                }
                islands++;
                seen[r][c] = true;
                Deque<int[]> stack = new ArrayDeque<>();
                stack.push(new int[] {r, c});
                while (!stack.isEmpty()) {
                    int[] cell = stack.pop();
                    for (int[] step : steps) {
                        int y = cell[0] + step[0];
                        int x = cell[1] + step[1];
                        if (y >= 0 && y < rows && x >= 0 && x < cols && grid.get(y).charAt(x) == '#' && !seen[y][x]) {
                            seen[y][x] = true;
                            stack.push(new int[] {y, x});
                        }
                    }
                }
            }
        }
        return islands;
    }
}
