#include <algorithm>
#include <vector>

long long lis_length(std::vector<long long> values) {
    std::vector<long long> tails;  // tails[i]: the smallest tail of an increasing subsequence of length i + 1
    for (long long v : values) {
        auto position = std::lower_bound(tails.begin(), tails.end(), v);
        if (position == tails.end()) {
            tails.push_back(v);
        } else {
            *position = v;
        }
    }
    return static_cast<long long>(tails.size());
}
