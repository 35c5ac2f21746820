import java.util.*;
import org.javatuples.Pair;

class Solution {
    public static double polygonPerimeter(List<Pair<Double, Double>> points) {
        if (points.size() < 2) {
            return 0.0;
        }
        double total = 0.0;
        for (int i = 0; i < points.size(); i++) {
            Pair<Double, Double> from = points.get(i);
            Pair<Double, Double> to = points.get((i + 1) % points.size());
            total += Math.hypot(to.getValue0() - from.getValue0(), to.getValue1() - from.getValue1());
        }
        return total;
    }
}
