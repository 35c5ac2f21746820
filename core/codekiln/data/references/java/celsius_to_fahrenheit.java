import java.util.*;

class Solution {
    public static List<Double> celsiusToFahrenheit(List<Double> temps) {
        List<Double> result = new ArrayList<>();
        for (double c : temps) {
            result.add(c * 9 / 5 + 32);
        }
        return result;
    }
}
