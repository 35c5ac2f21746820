import java.util.*;

class Solution {
    public static String largestConcatenation(List<Long> values) {
        if (values.isEmpty()) {
            return "";
        }
        List<String> digits = new ArrayList<>();
        for (long v : values) {
            digits.add(Long.toString(v));
        }
        digits.sort((x, y) -> (y + x).compareTo(x + y));
        String joined = String.join("", digits);
        return joined.charAt(0) == '0' ? "0" : joined;
    }
}
