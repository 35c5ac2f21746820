import java.util.*;

class Solution {
    public static long minPathSum(List<List<Long>> grid) {
        int cols = grid.get(0).size();
        long[] best = new long[cols];
        for (int r = 0; r < grid.size(); r++) {
            for (int c = 0; c < cols; c++) {
                long value = grid.get(r).get(c);
                if (r == 0 && c == 0) {
                    best[c] = value;
                } else if (r == 0) {
                    best[c] = best[c - 1] + value;
                } else if (c == 0) {
                    best[c] += value;
                } else {
                    best[c] = Math.min(best[c], best[c - 1]) + value;
                }
            }
        }
        return best[cols - 1];
    }
}
