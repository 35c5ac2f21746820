import java.util.*;

class Solution {
    public static long longestUniqueSubstring(String text) {
        Map<Character, Integer> lastSeen = new HashMap<>();
        int start = 0;
        int best = 0;
        for (int i = 0; i < text.length(); i++) {
            Integer previous = lastSeen.put(text.charAt(i), i);
            if (previous != null && previous >= start) {
                start = previous + 1;
            }
            best = Math.max(best, i - start + 1);
        }
        return best;
    }
}
