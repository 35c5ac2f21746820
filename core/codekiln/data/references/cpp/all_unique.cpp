#include <set>
#include <vector>

bool all_unique(std::vector<long long> values) {
    std::set<long long> seen(values.begin(), values.end());
    return seen.size() == values.size();
}
