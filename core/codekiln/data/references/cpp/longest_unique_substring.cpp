#include <algorithm>
#include <array>
#include <string>

long long longest_unique_substring(std::string text) {
    std::array<long long, 256> last_seen;
    last_seen.fill(-1);
    long long start = 0, best = 0;
    for (long long i = 0; i < static_cast<long long>(text.size()); ++i) {
        unsigned char ch = static_cast<unsigned char>(text[i]);
        if (last_seen[ch] >= start) start = last_seen[ch] + 1;
        last_seen[ch] = i;
        best = std::max(best, i - start + 1);
    }
    return best;
}
