class Solution {
    public static double diceSumProbability(long dice, long target) {
        if (target < 0 || target > 6 * dice) {
            return 0.0;
        }
        double[] probability = {1.0};  // probability[s]: the chance that the dice so far sum to s
        for (int d = 0; d < dice; d++) {
            double[] next = new double[probability.length + 6];
            for (int total = 0; total < probability.length; total++) {
                for (int face = 1; face <= 6; face++) {
                    next[total + face] += probability[total] / 6;
                }
            }
            probability = next;
        }
        return probability[(int) target];
    }
}
