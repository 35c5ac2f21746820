class Solution {
    public static String toBinary(long n) {
        if (n == 0) {
            return "0";
        }
        StringBuilder bits = new StringBuilder();
        for (long rest = Math.abs(n); rest > 0; rest /= 2) {
            bits.append(rest % 2 == 1 ? '1' : '0');
        }
        return (n < 0 ? "-" : "") + bits.reverse();
    }
}
