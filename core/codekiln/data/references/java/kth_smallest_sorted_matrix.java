import java.util.*;

class Solution {
    public static long kthSmallestSortedMatrix(List<List<Long>> matrix, long k) {
        int rows = matrix.size();
        long low = matrix.get(0).get(0);
        long high = matrix.get(rows - 1).get(matrix.get(rows - 1).size() - 1);
        while (low < high) {
            long mid = low + (high - low) / 2;  // rounds down for negative bounds too
            if (countAtMost(matrix, mid) >= k) {
                high = mid;
            } else {
                low = mid + 1;
            }
        }
        return low;
    }

    private static long countAtMost(List<List<Long>> matrix, long limit) {
        long count = 0;
        int c = matrix.get(0).size() - 1;
        for (List<Long> row : matrix) {
            while (c >= 0 && row.get(c) > limit) {
                c--;
            }
            count += c + 1;
        }
        return count;
    }
}
