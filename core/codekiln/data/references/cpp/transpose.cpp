#include <vector>

std::vector<std::vector<long long>> transpose(std::vector<std::vector<long long>> matrix) {
    if (matrix.empty()) return {};
    std::vector<std::vector<long long>> result(matrix[0].size(), std::vector<long long>(matrix.size()));
    for (std::size_t i = 0; i < matrix.size(); ++i) {
        for (std::size_t j = 0; j < matrix[i].size(); ++j) result[j][i] = matrix[i][j];
    }
    return result;
}
