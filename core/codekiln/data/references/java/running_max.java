import java.util.*;

class Solution {
    public static List<Long> runningMax(List<Long> values) {
        List<Long> result = new ArrayList<>();
        for (long v : values) {
            result.add(result.isEmpty() ? v : Math.max(result.get(result.size() - 1), v));
        }
        return result;
    }
}
