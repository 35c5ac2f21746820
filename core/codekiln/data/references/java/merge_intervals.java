import java.util.*;
import org.javatuples.Pair;

class Solution {
    public static List<Pair<Long, Long>> mergeIntervals(List<Pair<Long, Long>> intervals) {
        List<Pair<Long, Long>> sorted = new ArrayList<>(intervals);
        Collections.sort(sorted);  // by start, then by end
        List<Pair<Long, Long>> merged = new ArrayList<>();
        for (Pair<Long, Long> interval : sorted) {
            int last = merged.size() - 1;
            if (last >= 0 && interval.getValue0() <= merged.get(last).getValue1()) {
                long end = Math.max(merged.get(last).getValue1(), interval.getValue1());
                merged.set(last, merged.get(last).setAt1(end));
            } else {
                merged.add(interval);
            }
        }
        return merged;
    }
}
