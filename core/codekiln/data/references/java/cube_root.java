class Solution {
    public static double cubeRoot(double x) {
        double magnitude = Math.abs(x);
        double low = 0.0;
        double high = Math.max(1.0, magnitude);
        for (int i = 0; i < 200; i++) {
            double mid = (low + high) / 2;
            if (mid * mid * mid < magnitude) {
                low = mid;
            } else {
                high = mid;
            }
        }
        double root = (low + high) / 2;
        return x < 0 ? -root : root;
    }
}
