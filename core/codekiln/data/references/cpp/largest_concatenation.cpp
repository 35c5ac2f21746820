#include <algorithm>
#include <string>
#include <vector>

std::string largest_concatenation(std::vector<long long> values) {
    std::vector<std::string> digits;
    for (long long v : values) digits.push_back(std::to_string(v));
    std::sort(digits.begin(), digits.end(), [](const std::string& x, const std::string& y) { return x + y > y + x; });
    std::string joined;
    for (const std::string& d : digits) joined += d;
    return !joined.empty() && joined[0] == '0' ? "0" : joined;
}
