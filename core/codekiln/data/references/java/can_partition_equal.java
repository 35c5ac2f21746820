import java.util.*;

class Solution {
    public static boolean canPartitionEqual(List<Long> values) {
        long total = 0;
        for (long v : values) {
            total += v;
        }
        if (total % 2 != 0) {
            return false;
        }
        int half = (int) (total / 2);
        boolean[] reachable = new boolean[half + 1];
        reachable[0] = true;
        for (long v : values) {
            for (int s = half; s >= v; s--) {
                if (reachable[s - (int) v]) {
                    reachable[s] = true;
                }
            }
        }
        return reachable[half];
    }
}
