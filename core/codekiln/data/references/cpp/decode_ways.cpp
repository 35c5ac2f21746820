#include <string>

long long decode_ways(std::string digits) {
    long long previous = 0, current = 1;  // ways for the prefixes of length i - 1 and i
    for (std::size_t i = 0; i < digits.size(); ++i) {
        long long ways = digits[i] != '0' ? current : 0;
        if (i > 0) {
            int pair = (digits[i - 1] - '0') * 10 + (digits[i] - '0');
            if (pair >= 10 && pair <= 26) ways += previous;
        }
        previous = current;
        current = ways;
    }
    return current;
}
