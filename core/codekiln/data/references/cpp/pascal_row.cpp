#include <vector>

std::vector<long long> pascal_row(long long row) {
    std::vector<long long> current = {1};
    for (long long r = 0; r < row; ++r) {
        for (std::size_t i = current.size() - 1; i > 0; --i) current[i] += current[i - 1];
        current.push_back(1);
    }
    return current;
}
