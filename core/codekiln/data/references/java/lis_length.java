import java.util.*;

class Solution {
    public static long lisLength(List<Long> values) {
        long[] tails = new long[values.size()];
        int length = 0;
        for (long v : values) {
            int low = 0;
            int high = length;
            while (low < high) {  // the first tail >= v
                int mid = (low + high) >>> 1;
                if (tails[mid] < v) {
                    low = mid + 1;
                } else {
                    high = mid;
                }
            }
            tails[low] = v;
            if (low == length) {
                length++;
            }
        }
        return length;
    }
}
