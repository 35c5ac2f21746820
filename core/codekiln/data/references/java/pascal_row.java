import java.util.*;

class Solution {
    public static List<Long> pascalRow(long row) {
        List<Long> current = new ArrayList<>(List.of(1L));
        for (int r = 0; r < row; r++) {
            List<Long> next = new ArrayList<>(List.of(1L));
            for (int i = 0; i + 1 < current.size(); i++) {
                next.add(current.get(i) + current.get(i + 1));
            }
            next.add(1L);
            current = next;
        }
        return current;
    }
}
