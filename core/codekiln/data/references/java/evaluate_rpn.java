import java.util.*;

class Solution {
    public static long evaluateRpn(List<String> tokens) {
        Deque<Long> stack = new ArrayDeque<>();
        for (String token : tokens) {
            switch (token) {
                case "+", "-", "*", "/" -> {
                    long right = stack.pop();
                    long left = stack.pop();
                    stack.push(switch (token) {
                        case "+" -> left + right;
                        case "-" -> left - right;
                        case "*" -> left * right;
                        default -> left / right;  // Java's division truncates toward zero
                    });
                }
                default -> stack.push(Long.parseLong(token));
            }
        }
        return stack.peek();
    }
}
