import java.util.*;

class Solution {
    public static long spreadTime(List<String> grid) {
        int rows = grid.size();
        int cols = rows == 0 ? 0 : grid.get(0).length();
        int[][] minute = new int[rows][cols];
        Deque<int[]> queue = new ArrayDeque<>();
        int healthy = 0;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                minute[r][c] = -1;
                char cell = grid.get(r).charAt(c);
                if (cell == 'I') {
                    minute[r][c] = 0;
                    queue.add(new int[] {r, c});
                } else if (cell == 'H') {
                    healthy++;
                }
            }
        }
        int[][] steps = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}};
        int elapsed = 0;
        while (!queue.isEmpty()) {
            int[] cell = queue.poll();
            for (int[] step : steps) {
                int r = cell[0] + step[0];
                int c = cell[1] + step[1];
                if (r >= 0 && r < rows && c >= 0 && c < cols && grid.get(r).charAt(c) == 'H' && minute[r][c] < 0) {
                    minute[r][c] = minute[cell[0]][cell[1]] + 1;
                    elapsed = Math.max(elapsed, minute[r][c]);
                    healthy--;
                    queue.add(new int[] {r, c});
                }
            }
        }
        return healthy == 0 ? elapsed : -1;
    }
}
