import java.util.*;
import org.javatuples.Pair;

class Solution {
    public static List<Pair<String, Long>> sortRecords(List<Pair<String, Long>> records) {
        List<Pair<String, Long>> sorted = new ArrayList<>(records);
        sorted.sort(Comparator.comparing((Pair<String, Long> r) -> r.getValue1()).reversed()
                .thenComparing(Pair::getValue0));
        return sorted;
    }
}
