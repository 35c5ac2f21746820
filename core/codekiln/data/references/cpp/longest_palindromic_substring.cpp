#include <string>

std::string longest_palindromic_substring(std::string text) {
    const long long n = static_cast<long long>(text.size());
    long long best_start = 0, best_length = 0;
    for (long long center = 0; center < 2 * n - 1; ++center) {
        long long left = center / 2, right = left + center % 2;
        while (left >= 0 && right < n && text[left] == text[right]) {
            --left;
            ++right;
        }
        long long length = right - left - 1;
        if (length > best_length) {  // centers go left to right: the first of a length starts earliest
            best_start = left + 1;
            best_length = length;
        }
    }
    return text.substr(best_start, best_length);
}
