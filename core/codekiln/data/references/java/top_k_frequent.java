import java.util.*;

class Solution {
    public static List<Long> topKFrequent(List<Long> values, long k) {
        Map<Long, Integer> counts = new HashMap<>();
        for (long v : values) {
            counts.merge(v, 1, Integer::sum);
        }
        List<Long> ordered = new ArrayList<>(counts.keySet());
        ordered.sort(Comparator.comparing((Long v) -> counts.get(v)).reversed().thenComparing(v -> v));
        return new ArrayList<>(ordered.subList(0, (int) Math.min(k, ordered.size())));
    }
}
