#include <cmath>
#include <tuple>
#include <vector>

double polygon_perimeter(std::vector<std::tuple<double, double>> points) {
    if (points.size() < 2) return 0.0;
    double total = 0.0;
    for (std::size_t i = 0; i < points.size(); ++i) {
        auto [x1, y1] = points[i];
        auto [x2, y2] = points[(i + 1) % points.size()];
        total += std::hypot(x2 - x1, y2 - y1);
    }
    return total;
}
