#include <algorithm>
#include <optional>
#include <tuple>
#include <vector>

std::optional<std::tuple<long long, long long>> min_max(std::vector<long long> values) {
    if (values.empty()) return std::nullopt;
    auto [low, high] = std::minmax_element(values.begin(), values.end());
    return std::make_tuple(*low, *high);
}
