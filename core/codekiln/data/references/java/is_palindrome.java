class Solution {
    public static boolean isPalindrome(String text) {
        StringBuilder cleaned = new StringBuilder();
        for (char ch : text.toCharArray()) {
            if (ch < 128 && Character.isLetterOrDigit(ch)) {
                cleaned.append(Character.toLowerCase(ch));
            }
        }
        return cleaned.toString().equals(cleaned.reverse().toString());
    }
}
