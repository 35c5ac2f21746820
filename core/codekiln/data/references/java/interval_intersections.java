import java.util.*;
import org.javatuples.Pair;

class Solution {
    public static List<Pair<Long, Long>> intervalIntersections(List<Pair<Long, Long>> first, List<Pair<Long, Long>> second) {
        List<Pair<Long, Long>> result = new ArrayList<>();
        int i = 0;
        int j = 0;
        while (i < first.size() && j < second.size()) {
            long start = Math.max(first.get(i).getValue0(), second.get(j).getValue0());
            long end = Math.min(first.get(i).getValue1(), second.get(j).getValue1());
            if (start <= end) {
                result.add(Pair.with(start, end));
            }
            if (first.get(i).getValue1() < second.get(j).getValue1()) {
                i++;
            } else {
                j++;
            }
        }
        return result;
    }
}
