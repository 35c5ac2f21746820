class Solution {
    public static long editDistance(String source, String target) {
        int[] previous = new int[target.length() + 1];
        for (int j = 0; j <= target.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= source.length(); i++) {
            int[] current = new int[target.length() + 1];
            current[0] = i;
            for (int j = 1; j <= target.length(); j++) {
                int replace = previous[j - 1] + (source.charAt(i - 1) == target.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(Math.min(previous[j] + 1, current[j - 1] + 1), replace);
            }
            previous = current;
        }
        return previous[target.length()];
    }
}
