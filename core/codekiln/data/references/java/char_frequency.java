import java.util.*;

class Solution {
    public static Map<String, Long> charFrequency(String text) {
        Map<String, Long> counts = new TreeMap<>();
        for (char ch : text.toLowerCase(Locale.ROOT).toCharArray()) {
            if (ch >= 'a' && ch <= 'z') {
                counts.merge(String.valueOf(ch), 1L, Long::sum);
            }
        }
        return counts;
    }
}
