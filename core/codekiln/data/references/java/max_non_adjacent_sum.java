import java.util.*;

class Solution {
    public static long maxNonAdjacentSum(List<Long> values) {
        long take = 0;  // best sum with the last element chosen
        long skip = 0;  // best sum with it left out
        for (long v : values) {
            long taken = skip + v;
            skip = Math.max(take, skip);
            take = taken;
        }
        return Math.max(take, skip);
    }
}
