class Solution {
    public static long decodeWays(String digits) {
        long previous = 0;  // ways to decode the prefix one shorter than the current one
        long current = 1;
        for (int i = 0; i < digits.length(); i++) {
            long ways = digits.charAt(i) != '0' ? current : 0;
            if (i > 0) {
                int pair = Integer.parseInt(digits.substring(i - 1, i + 1));
                if (pair >= 10 && pair <= 26) {
                    ways += previous;
                }
            }
            previous = current;
            current = ways;
        }
        return current;
    }
}
