import java.util.*;

class Solution {
    public static boolean balancedBrackets(String text) {
        Deque<Character> stack = new ArrayDeque<>();
        for (char ch : text.toCharArray()) {
            switch (ch) {
                case '(', '[', '{' -> stack.push(ch);
                case ')', ']', '}' -> {
                    char open = ch == ')' ? '(' : ch == ']' ? '[' : '{';
                    if (stack.isEmpty() || stack.pop() != open) {
                        return false;
                    }
                }
                default -> { }
            }
        }
        return stack.isEmpty();
    }
}
