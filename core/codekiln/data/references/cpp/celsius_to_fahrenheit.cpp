#include <vector>

std::vector<double> celsius_to_fahrenheit(std::vector<double> temps) {
    std::vector<double> result;
    result.reserve(temps.size());
    for (double c : temps) result.push_back(c * 9 / 5 + 32);
    return result;
}
