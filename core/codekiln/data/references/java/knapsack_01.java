import java.util.*;

class Solution {
    public static long knapsack01(List<Long> weights, List<Long> values, long capacity) {
        long[] best = new long[(int) capacity + 1];
        for (int item = 0; item < weights.size(); item++) {
            int weight = (int) (long) weights.get(item);
            long value = values.get(item);
            for (int room = (int) capacity; room >= weight; room--) {
                best[room] = Math.max(best[room], best[room - weight] + value);
            }
        }
        return best[(int) capacity];
    }
}
