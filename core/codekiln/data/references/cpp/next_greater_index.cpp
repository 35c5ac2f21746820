#include <vector>

std::vector<long long> next_greater_index(std::vector<long long> values) {
    std::vector<long long> result(values.size(), -1);
    std::vector<std::size_t> stack;  // positions still waiting for a greater value, values decreasing
    for (std::size_t j = 0; j < values.size(); ++j) {
        while (!stack.empty() && values[stack.back()] < values[j]) {
            result[stack.back()] = static_cast<long long>(j);
            stack.pop_back();
        }
        stack.push_back(j);
    }
    return result;
}
