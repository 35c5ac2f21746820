import java.util.*;

class Solution {
    public static Map<Long, List<String>> groupByLength(List<String> words) {
        Map<Long, List<String>> groups = new LinkedHashMap<>();
        for (String word : words) {
            groups.computeIfAbsent((long) word.length(), key -> new ArrayList<>()).add(word);
        }
        return groups;
    }
}
