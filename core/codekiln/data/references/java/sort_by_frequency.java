import java.util.*;

class Solution {
    public static String sortByFrequency(String text) {
        Map<Character, Integer> counts = new TreeMap<>();
        for (char ch : text.toCharArray()) {
            counts.merge(ch, 1, Integer::sum);
        }
        List<Character> order = new ArrayList<>(counts.keySet());  // by character code already
        order.sort(Comparator.comparing(counts::get, Comparator.reverseOrder()));  // stable
        StringBuilder out = new StringBuilder();
        for (char ch : order) {
            out.append(String.valueOf(ch).repeat(counts.get(ch)));
        }
        return out.toString();
    }
}
