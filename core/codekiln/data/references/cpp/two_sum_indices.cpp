#include <optional>
#include <tuple>
#include <unordered_map>
#include <vector>

std::optional<std::tuple<long long, long long>> two_sum_indices(std::vector<long long> values, long long target) {
    std::unordered_map<long long, long long> first_index;
    for (long long j = 0; j < static_cast<long long>(values.size()); ++j) {
        auto found = first_index.find(target - values[j]);
        if (found != first_index.end()) return std::make_tuple(found->second, j);
        first_index.emplace(values[j], j);  // keeps the first position of a repeated value
    }
    return std::nullopt;
}
