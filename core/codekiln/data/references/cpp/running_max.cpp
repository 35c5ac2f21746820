#include <algorithm>
#include <vector>

std::vector<long long> running_max(std::vector<long long> values) {
    for (std::size_t i = 1; i < values.size(); ++i) values[i] = std::max(values[i], values[i - 1]);
    return values;
}
