#include <vector>

double variance(std::vector<double> values) {
    if (values.empty()) return 0.0;
    double mean = 0.0;
    for (double v : values) mean += v;
    mean /= static_cast<double>(values.size());
    double total = 0.0;
    for (double v : values) total += (v - mean) * (v - mean);
    return total / static_cast<double>(values.size());
}
