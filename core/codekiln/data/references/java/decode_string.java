import java.util.*;

class Solution {
    public static String decodeString(String text) {
        Deque<StringBuilder> outers = new ArrayDeque<>();
        Deque<Integer> repeats = new ArrayDeque<>();
        StringBuilder current = new StringBuilder();
        int number = 0;
        for (char ch : text.toCharArray()) {
            if (Character.isDigit(ch)) {
                number = number * 10 + (ch - '0');
            } else if (ch == '[') {
                outers.push(current);
                repeats.push(number);
                current = new StringBuilder();
                number = 0;
            } else if (ch == ']') {
                String body = current.toString();
                current = outers.pop().append(body.repeat(repeats.pop()));
            } else {
                current.append(ch);
            }
        }
        return current.toString();
    }
}
