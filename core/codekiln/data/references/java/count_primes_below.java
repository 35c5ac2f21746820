class Solution {
    public static long countPrimesBelow(long n) {
        if (n < 3) {
            return 0;
        }
        int limit = (int) n;
        boolean[] composite = new boolean[limit];
        long count = 0;
        for (int p = 2; p < limit; p++) {
            if (composite[p]) {
                continue;
            }
            count++;
            for (long multiple = (long) p * p; multiple < limit; multiple += p) {
                composite[(int) multiple] = true;
            }
        }
        return count;
    }
}
