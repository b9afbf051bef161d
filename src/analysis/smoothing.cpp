#include "analysis/smoothing.h"

#include <cmath>
#include <cstddef>

#include "core/error.h"

namespace cs::analysis {

std::vector<double> gaussian_smooth(std::span<const double> x, std::span<const double> y,
                                    double sigma) {
  CS_CHECK(std::isfinite(sigma) && sigma >= 0, "smoothing sigma must be >= 0, got " << sigma);
  CS_CHECK(x.size() == y.size(),
           "smoothing: x has " << x.size() << " points but y has " << y.size());
  for (size_t i = 1; i < x.size(); ++i)
    CS_CHECK(x[i] > x[i - 1], "smoothing: x must be strictly increasing, but x["
                                  << i << "] = " << x[i] << " <= x[" << i - 1
                                  << "] = " << x[i - 1]);
  std::vector<double> out(y.begin(), y.end());
  if (sigma == 0 || y.size() < 2) return out;
  const size_t n = y.size();
  const double reach = 4 * sigma;
  size_t lo = 0, hi = 0;  // the points within reach of x[i]: [lo, hi)
  for (size_t i = 0; i < n; ++i) {
    while (x[i] - x[lo] > reach) ++lo;
    while (hi < n && x[hi] - x[i] <= reach) ++hi;
    // Weighted least squares of y = a + b (x - x[i]); the smoothed value is a.
    double s0 = 0, s1 = 0, s2 = 0, t0 = 0, t1 = 0;
    for (size_t j = lo; j < hi; ++j) {
      const double d = x[j] - x[i];
      const double w = std::exp(-0.5 * d * d / (sigma * sigma));
      s0 += w;
      s1 += w * d;
      s2 += w * d * d;
      t0 += w * y[j];
      t1 += w * d * y[j];
    }
    const double det = s0 * s2 - s1 * s1;
    // A symmetric neighbourhood has s1 == 0, and then a is the plain weighted mean t0 / s0.
    out[i] = det > 1e-12 * s0 * s2 ? (s2 * t0 - s1 * t1) / det : t0 / s0;
  }
  return out;
}

std::vector<double> gaussian_smooth(std::span<const double> y, double sigma) {
  std::vector<double> index(y.size());
  for (size_t i = 0; i < y.size(); ++i) index[i] = double(i);
  return gaussian_smooth(index, y, sigma);
}

namespace {

void check_axis(std::span<const double> x, std::span<const double> y, size_t min_points,
                const char* what) {
  CS_CHECK(x.size() == y.size(),
           what << ": x has " << x.size() << " points but y has " << y.size());
  CS_CHECK(x.size() >= min_points,
           what << " needs at least " << min_points << " points, got " << x.size());
  for (size_t i = 1; i < x.size(); ++i)
    CS_CHECK(x[i] > x[i - 1], what << ": x must be strictly increasing, but x[" << i
                                   << "] = " << x[i] << " <= x[" << i - 1 << "] = " << x[i - 1]);
}

// Coefficients of y[i-1], y[i], y[i+1] in the first derivative, at the left point (at = -1), the
// middle (0) or the right point (+1) of the parabola through three points with gaps h1, h2.
struct Stencil {
  double a, b, c;
};

Stencil first_stencil(double h1, double h2, int at) {
  const double s = h1 + h2;
  if (at < 0) return {-(2 * h1 + h2) / (h1 * s), s / (h1 * h2), -h1 / (h2 * s)};
  if (at > 0) return {h2 / (h1 * s), -s / (h1 * h2), (h1 + 2 * h2) / (h2 * s)};
  return {-h2 / (h1 * s), (h2 - h1) / (h1 * h2), h1 / (h2 * s)};
}

double second_at(double h1, double h2, double ym, double y0, double yp) {
  return 2 * (h2 * ym - (h1 + h2) * y0 + h1 * yp) / (h1 * h2 * (h1 + h2));
}

}  // namespace

std::vector<double> derivative(std::span<const double> x, std::span<const double> y) {
  check_axis(x, y, 2, "derivative");
  const size_t n = x.size();
  std::vector<double> d(n);
  if (n == 2) {
    d[0] = d[1] = (y[1] - y[0]) / (x[1] - x[0]);
    return d;
  }
  auto apply = [&](size_t mid, int at) {
    const Stencil s = first_stencil(x[mid] - x[mid - 1], x[mid + 1] - x[mid], at);
    return s.a * y[mid - 1] + s.b * y[mid] + s.c * y[mid + 1];
  };
  d[0] = apply(1, -1);
  for (size_t i = 1; i + 1 < n; ++i) d[i] = apply(i, 0);
  d[n - 1] = apply(n - 2, +1);
  return d;
}

std::vector<double> second_derivative(std::span<const double> x, std::span<const double> y) {
  check_axis(x, y, 3, "second derivative");
  const size_t n = x.size();
  std::vector<double> d(n);
  for (size_t i = 1; i + 1 < n; ++i)
    d[i] = second_at(x[i] - x[i - 1], x[i + 1] - x[i], y[i - 1], y[i], y[i + 1]);
  d[0] = d[1];
  d[n - 1] = d[n - 2];
  return d;
}

}  // namespace cs::analysis
