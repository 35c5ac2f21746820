import java.util.*;

class Solution {
    public static List<List<Long>> multiplicationTable(long n) {
        List<List<Long>> table = new ArrayList<>();
        for (long i = 1; i <= n; i++) {
            List<Long> row = new ArrayList<>();
            for (long j = 1; j <= n; j++) {
                row.add(i * j);
            }
            table.add(row);
        }
        return table;
    }
}
