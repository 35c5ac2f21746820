import java.util.*;

class Solution {
    public static List<String> distinctPermutations(String text) {
        TreeMap<Character, Integer> counts = new TreeMap<>();
        for (char ch : text.toCharArray()) {
            counts.merge(ch, 1, Integer::sum);
        }
        List<String> result = new ArrayList<>();
        build(counts, new StringBuilder(), text.length(), result);
        return result;
    }

    private static void build(TreeMap<Character, Integer> counts, StringBuilder current, int length, List<String> result) {
        if (current.length() == length) {
            result.add(current.toString());
            return;
        }
        for (Map.Entry<Character, Integer> entry : counts.entrySet()) {
            if (entry.getValue() > 0) {
                entry.setValue(entry.getValue() - 1);
                current.append(entry.getKey());
                build(counts, current, length, result);
                current.deleteCharAt(current.length() - 1);
                entry.setValue(entry.getValue() + 1);
            }
        }
    }
}
