import java.util.*;

class Solution {
    public static boolean wordBreak(String text, List<String> words) {
        Set<String> vocabulary = new HashSet<>(words);
        boolean[] canEnd = new boolean[text.length() + 1];  // canEnd[i]: text[0:i] splits into words
        canEnd[0] = true;
        for (int end = 1; end <= text.length(); end++) {
            for (int start = 0; start < end && !canEnd[end]; start++) {
                canEnd[end] = canEnd[start] && vocabulary.contains(text.substring(start, end));
            }
        }
        return canEnd[text.length()];
    }
}
