import java.util.*;

class Solution {
    public static Map<String, Long> mergeCounts(Map<String, Long> first, Map<String, Long> second) {
        Map<String, Long> totals = new LinkedHashMap<>(first);
        second.forEach((name, count) -> totals.merge(name, count, Long::sum));
        totals.values().removeIf(total -> total == 0);
        return totals;
    }
}
