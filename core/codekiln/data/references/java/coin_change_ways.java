import java.util.*;

class Solution {
    public static long coinChangeWays(List<Long> coins, long amount) {
        long[] ways = new long[(int) amount + 1];
        ways[0] = 1;
        for (long coin : coins) {
            for (int total = (int) coin; total <= amount; total++) {
                ways[total] += ways[total - (int) coin];
            }
        }
        return ways[(int) amount];
    }
}
