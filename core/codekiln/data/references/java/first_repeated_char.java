import java.util.*;

class Solution {
    public static String firstRepeatedChar(String text) {
        Set<Character> seen = new HashSet<>();
        for (char ch : text.toCharArray()) {
            if (!seen.add(ch)) {
                return String.valueOf(ch);
            }
        }
        return null;
    }
}
