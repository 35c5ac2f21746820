import java.util.*;
import org.javatuples.Pair;

class Solution {
    public static long maxNonOverlapping(List<Pair<Long, Long>> intervals) {
        List<Pair<Long, Long>> byEnd = new ArrayList<>(intervals);
        byEnd.sort(Comparator.comparing(Pair::getValue1));
        long chosen = 0;
        Long lastEnd = null;
        for (Pair<Long, Long> interval : byEnd) {
            if (lastEnd == null || interval.getValue0() >= lastEnd) {
                chosen++;
                lastEnd = interval.getValue1();
            }
        }
        return chosen;
    }
}
