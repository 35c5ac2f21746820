#include <vector>

long long count_primes_below(long long n) {
    if (n < 3) return 0;
    std::vector<bool> is_prime(n, true);
    is_prime[0] = is_prime[1] = false;
    for (long long p = 2; p * p < n; ++p) {
        if (!is_prime[p]) continue;
        for (long long multiple = p * p; multiple < n; multiple += p) is_prime[multiple] = false;
    }
    long long count = 0;
    for (long long i = 2; i < n; ++i) count += is_prime[i];
    return count;
}
