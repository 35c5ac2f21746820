#include <set>

bool is_happy_number(long long n) {
    std::set<long long> seen;
    while (n != 1 && seen.insert(n).second) {
        long long total = 0;
        for (long long x = n; x > 0; x /= 10) total += (x % 10) * (x % 10);
        n = total;
    }
    return n == 1;
}
