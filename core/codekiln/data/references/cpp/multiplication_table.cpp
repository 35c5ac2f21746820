#include <vector>

std::vector<std::vector<long long>> multiplication_table(long long n) {
    std::vector<std::vector<long long>> table(n, std::vector<long long>(n));
    for (long long i = 0; i < n; ++i) {
        for (long long j = 0; j < n; ++j) table[i][j] = (i + 1) * (j + 1);
    }
    return table;
}
