import java.util.*;

class Solution {
    public static long gridPaths(List<String> grid) {
        int cols = grid.get(0).length();
        long[] ways = new long[cols];
        ways[0] = 1;
        for (String line : grid) {
            for (int c = 0; c < cols; c++) {
                if (line.charAt(c) == '#') {
                    ways[c] = 0;
                } else if (c > 0) {
                    ways[c] += ways[c - 1];
                }
            }
        }
        return ways[cols - 1];
    }
}
