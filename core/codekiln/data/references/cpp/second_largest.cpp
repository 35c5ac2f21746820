#include <optional>
#include <vector>

std::optional<long long> second_largest(std::vector<long long> values) {
    std::optional<long long> largest, second;
    for (long long v : values) {
        if (!largest || v > *largest) {
            second = largest;
            largest = v;
        } else if (v < *largest && (!second || v > *second)) {
            second = v;
        }
    }
    return second;
}
