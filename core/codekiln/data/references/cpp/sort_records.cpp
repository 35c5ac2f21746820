#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

std::vector<std::tuple<std::string, long long>> sort_records(std::vector<std::tuple<std::string, long long>> records) {
    std::sort(records.begin(), records.end(), [](const auto& a, const auto& b) {
        if (std::get<1>(a) != std::get<1>(b)) return std::get<1>(a) > std::get<1>(b);  // higher scores first
        return std::get<0>(a) < std::get<0>(b);
    });
    return records;
}
