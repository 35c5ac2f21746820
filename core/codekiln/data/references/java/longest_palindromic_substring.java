class Solution {
    public static String longestPalindromicSubstring(String text) {
        int bestStart = 0;
        int bestLength = 0;
        for (int center = 0; center < 2 * text.length() - 1; center++) {
            int left = center / 2;
            int right = left + center % 2;
            while (left >= 0 && right < text.length() && text.charAt(left) == text.charAt(right)) {
                left--;
                right++;
            }
            int length = right - left - 1;
            if (length > bestLength) {  // centres go left to right: a tie never starts earlier
                bestStart = left + 1;
                bestLength = length;
            }
        }
        return text.substring(bestStart, bestStart + bestLength);
    }
}
