#include <vector>

long long kth_smallest_sorted_matrix(std::vector<std::vector<long long>> matrix, long long k) {
    const long long rows = static_cast<long long>(matrix.size());
    const long long cols = static_cast<long long>(matrix[0].size());
    auto count_at_most = [&](long long limit) {
        long long count = 0, c = cols - 1;
        for (long long r = 0; r < rows; ++r) {
            while (c >= 0 && matrix[r][c] > limit) --c;
            count += c + 1;
        }
        return count;
    };
    long long low = matrix[0][0], high = matrix[rows - 1][cols - 1];
    while (low < high) {
        long long mid = low + (high - low) / 2;
        if (count_at_most(mid) >= k) {
            high = mid;
        } else {
            low = mid + 1;
        }
    }
    return low;
}
