import java.util.*;
import org.javatuples.Pair;

class Solution {
    public static Pair<Long, Long> minMax(List<Long> values) {
        if (values.isEmpty()) {
            return null;
        }
        return Pair.with(Collections.min(values), Collections.max(values));
    }
}
