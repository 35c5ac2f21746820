#include <algorithm>
#include <cmath>

double cube_root(double x) {
    double magnitude = std::fabs(x);
    double low = 0.0, high = std::max(1.0, magnitude);
    for (int i = 0; i < 200; ++i) {
        double mid = (low + high) / 2;
        if (mid * mid * mid < magnitude) {
            low = mid;
        } else {
            high = mid;
        }
    }
    double root = (low + high) / 2;
    return x < 0 ? -root : root;
}
