import java.util.*;

class Solution {
    public static long shortestPathGrid(List<String> grid) {
        int rows = grid.size();
        int cols = grid.get(0).length();
        int[][] distance = new int[rows][cols];
        for (int[] row : distance) {
            Arrays.fill(row, -1);
        }
        Deque<int[]> queue = new ArrayDeque<>();
        for (int r = 0; r < rows; r++) {
            int c = grid.get(r).indexOf('S');
            if (c >= 0) {
                distance[r][c] = 0;
                queue.add(new int[] {r, c});
            }
        }
        int[][] steps = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}};
        while (!queue.isEmpty()) {
            int[] cell = queue.poll();
            if (grid.get(cell[0]).charAt(cell[1]) == 'E') {
                return distance[cell[0]][cell[1]];
            }
            for (int[] step : steps) {
                int r = cell[0] + step[0];
                int c = cell[1] + step[1];
                if (r >= 0 && r < rows && c >= 0 && c < cols && grid.get(r).charAt(c) != '#' && distance[r][c] < 0) {
                    distance[r][c] = distance[cell[0]][cell[1]] + 1;
                    queue.add(new int[] {r, c});
                }
            }
        }
        return -1;
    }
}
