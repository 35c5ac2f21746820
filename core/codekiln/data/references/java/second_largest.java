import java.util.*;

class Solution {
    public static Long secondLargest(List<Long> values) {
        Long largest = null;
        Long second = null;
        for (Long v : values) {
            if (largest == null || v > largest) {
                second = largest;
                largest = v;
            } else if (v < largest && (second == null || v > second)) {
                second = v;
            }
        }
        return second;
    }
}
