import java.util.*;

class Solution {
    public static long rotatedSearch(List<Long> values, long target) {
        int low = 0;
        int high = values.size() - 1;
        while (low <= high) {
            int mid = (low + high) / 2;
            long middle = values.get(mid);
            if (middle == target) {
                return mid;
            }
            if (values.get(low) <= middle) {  // the left half is sorted
                if (values.get(low) <= target && target < middle) {
                    high = mid - 1;
                } else {
                    low = mid + 1;
                }
            } else if (middle < target && target <= values.get(high)) {
                low = mid + 1;
            } else {
                high = mid - 1;
            }
        }
        return -1;
    }
}
