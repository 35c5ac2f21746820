import java.util.*;

class Solution {
    public static String reverseWords(String text) {
        List<String> words = new ArrayList<>();
        for (String word : text.split(" ")) {
            if (!word.isEmpty()) {
                words.add(word);
            }
        }
        Collections.reverse(words);
        return String.join(" ", words);
    }
}
