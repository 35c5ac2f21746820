class Solution {
    public static boolean isSubsequence(String pattern, String text) {
        int i = 0;
        for (int j = 0; j < text.length() && i < pattern.length(); j++) {
            if (pattern.charAt(i) == text.charAt(j)) {
                i++;
            }
        }
        return i == pattern.length();
    }
}
