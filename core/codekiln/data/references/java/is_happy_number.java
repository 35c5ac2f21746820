import java.util.*;

class Solution {
    public static boolean isHappyNumber(long n) {
        Set<Long> seen = new HashSet<>();
        while (n != 1 && seen.add(n)) {
            long total = 0;
            for (long x = n; x > 0; x /= 10) {
                long digit = x % 10;
                total += digit * digit;
            }
            n = total;
        }
        return n == 1;
    }
}
