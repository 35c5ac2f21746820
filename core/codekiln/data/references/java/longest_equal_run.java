import java.util.*;
import org.javatuples.Pair;

class Solution {
    public static Pair<Long, Long> longestEqualRun(List<Long> values) {
        if (values.isEmpty()) {
            return null;
        }
        long bestValue = values.get(0);
        long bestLength = 1;
        long length = 1;
        for (int i = 1; i < values.size(); i++) {
            length = values.get(i).equals(values.get(i - 1)) ? length + 1 : 1;
            if (length > bestLength) {
                bestValue = values.get(i);
                bestLength = length;
            }
        }
        return Pair.with(bestValue, bestLength);
    }
}
