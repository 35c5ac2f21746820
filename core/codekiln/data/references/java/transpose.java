import java.util.*;

class Solution {
    public static List<List<Long>> transpose(List<List<Long>> matrix) {
        List<List<Long>> result = new ArrayList<>();
        if (matrix.isEmpty()) {
            return result;
        }
        for (int j = 0; j < matrix.get(0).size(); j++) {
            List<Long> column = new ArrayList<>();
            for (List<Long> row : matrix) {
                column.add(row.get(j));
            }
            result.add(column);
        }
        return result;
    }
}
