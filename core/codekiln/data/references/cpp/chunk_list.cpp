#include <algorithm>
#include <vector>

std::vector<std::vector<long long>> chunk_list(std::vector<long long> values, long long size) {
    std::vector<std::vector<long long>> chunks;
    for (std::size_t start = 0; start < values.size(); start += static_cast<std::size_t>(size)) {
        std::size_t end = std::min(values.size(), start + static_cast<std::size_t>(size));
        chunks.emplace_back(values.begin() + start, values.begin() + end);
    }
    return chunks;
}
