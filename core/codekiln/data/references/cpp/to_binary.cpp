#include <algorithm>
#include <string>

std::string to_binary(long long n) {
    if (n == 0) return "0";
    bool negative = n < 0;
    unsigned long long magnitude = negative ? 0ULL - static_cast<unsigned long long>(n) : static_cast<unsigned long long>(n);
    std::string bits;
    for (; magnitude > 0; magnitude /= 2) bits += magnitude % 2 ? '1' : '0';
    if (negative) bits += '-';
    std::reverse(bits.begin(), bits.end());
    return bits;
}
