class Solution {
    public static String maskString(String text, long visible) {
        int hidden = (int) Math.max(text.length() - visible, 0);
        return "#".repeat(hidden) + text.substring(hidden);
    }
}
