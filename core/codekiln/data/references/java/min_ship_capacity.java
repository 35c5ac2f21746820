import java.util.*;

class Solution {
    public static long minShipCapacity(List<Long> weights, long days) {
        long low = Collections.max(weights);
        long high = 0;
        for (long w : weights) {
            high += w;
        }
        while (low < high) {
            long mid = (low + high) / 2;
            if (daysNeeded(weights, mid) <= days) {
                high = mid;
            } else {
                low = mid + 1;
            }
        }
        return low;
    }

    private static long daysNeeded(List<Long> weights, long capacity) {
        long used = 1;
        long load = 0;
        for (long w : weights) {
            if (load + w > capacity) {
                used++;
                load = 0;
            }
            load += w;
        }
        return used;
    }
}
