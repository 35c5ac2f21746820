import java.util.*;

class Solution {
    public static List<Long> nextGreaterIndex(List<Long> values) {
        Long[] result = new Long[values.size()];
        Arrays.fill(result, -1L);
        Deque<Integer> stack = new ArrayDeque<>();  // positions still waiting for a greater value
        for (int j = 0; j < values.size(); j++) {
            while (!stack.isEmpty() && values.get(stack.peek()) < values.get(j)) {
                result[stack.pop()] = (long) j;
            }
            stack.push(j);
        }
        return Arrays.asList(result);
    }
}
