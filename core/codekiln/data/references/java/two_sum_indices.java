import java.util.*;
import org.javatuples.Pair;

class Solution {
    public static Pair<Long, Long> twoSumIndices(List<Long> values, long target) {
        Map<Long, Long> firstIndex = new HashMap<>();
        for (int j = 0; j < values.size(); j++) {
            long v = values.get(j);
            Long i = firstIndex.get(target - v);
            if (i != null) {
                return Pair.with(i, (long) j);
            }
            firstIndex.putIfAbsent(v, (long) j);
        }
        return null;
    }
}
