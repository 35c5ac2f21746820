bool is_perfect_number(long long n) {
    if (n < 2) return false;
    long long total = 1;
    for (long long d = 2; d * d <= n; ++d) {
        if (n % d == 0) {
            total += d;
            if (d != n / d) total += n / d;
        }
    }
    return total == n;
}
