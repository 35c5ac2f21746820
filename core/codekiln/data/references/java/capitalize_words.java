import java.util.*;

class Solution {
    public static String capitalizeWords(String text) {
        String[] words = text.split(" ", -1);
        for (int i = 0; i < words.length; i++) {
            String word = words[i];
            if (!word.isEmpty()) {
                words[i] = word.substring(0, 1).toUpperCase(Locale.ROOT) + word.substring(1).toLowerCase(Locale.ROOT);
            }
        }
        return String.join(" ", words);
    }
}
