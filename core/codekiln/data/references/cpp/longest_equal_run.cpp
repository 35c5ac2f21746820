#include <optional>
#include <tuple>
#include <vector>

std::optional<std::tuple<long long, long long>> longest_equal_run(std::vector<long long> values) {
    if (values.empty()) return std::nullopt;
    long long best_value = values[0], best_length = 1, length = 1;
    for (std::size_t i = 1; i < values.size(); ++i) {
        length = values[i] == values[i - 1] ? length + 1 : 1;
        if (length > best_length) {
            best_value = values[i];
            best_length = length;
        }
    }
    return std::make_tuple(best_value, best_length);
}
