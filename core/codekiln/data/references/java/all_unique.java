import java.util.*;

class Solution {
    public static boolean allUnique(List<Long> values) {
        return new HashSet<>(values).size() == values.size();
    }
}
