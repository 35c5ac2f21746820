import java.util.*;

class Solution {
    public static long shortestHops(Map<Long, List<Long>> graph, long start, long goal) {
        Map<Long, Long> distance = new HashMap<>();
        distance.put(start, 0L);
        Deque<Long> queue = new ArrayDeque<>(List.of(start));
        while (!queue.isEmpty()) {
            long node = queue.poll();
            if (node == goal) {
                return distance.get(node);
            }
            for (long next : graph.getOrDefault(node, List.of())) {
                if (!distance.containsKey(next)) {
                    distance.put(next, distance.get(node) + 1);
                    queue.add(next);
                }
            }
        }
        return -1;
    }
}
