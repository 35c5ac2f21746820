import java.util.*;

class Solution {
    public static long minCoins(List<Long> coins, long amount) {
        int target = (int) amount;
        long[] best = new long[target + 1];
        Arrays.fill(best, Long.MAX_VALUE);
        best[0] = 0;
        for (int total = 1; total <= target; total++) {
            for (long coin : coins) {
                if (coin <= total && best[total - (int) coin] != Long.MAX_VALUE) {
                    best[total] = Math.min(best[total], best[total - (int) coin] + 1);
                }
            }
        }
        return best[target] == Long.MAX_VALUE ? -1 : best[target];
    }
}
