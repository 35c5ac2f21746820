#include <vector>

long long rotated_search(std::vector<long long> values, long long target) {
    long long low = 0, high = static_cast<long long>(values.size()) - 1;
    while (low <= high) {
        long long mid = low + (high - low) / 2;
        if (values[mid] == target) return mid;
        if (values[low] <= values[mid]) {  // the left half is sorted
            if (values[low] <= target && target < values[mid]) {
                high = mid - 1;
            } else {
                low = mid + 1;
            }
        } else {  // the right half is sorted
            if (values[mid] < target && target <= values[high]) {
                low = mid + 1;
            } else {
                high = mid - 1;
            }
        }
    }
    return -1;
}
