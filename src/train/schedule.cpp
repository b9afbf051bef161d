#include "train/schedule.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "core/error.h"

namespace cs {

double learning_rate(int64_t step, int64_t total_steps, double lr, int64_t warmup,
                     const std::string& schedule, double min_fraction) {
  if (step < warmup) return lr * double(step + 1) / double(warmup);
  if (schedule == "constant") return lr;
  CS_CHECK(schedule == "cosine", "unknown schedule '" << schedule << "' (expected constant or cosine)");
  const double span = std::max<double>(1, double(total_steps - warmup));
  const double progress = std::min(1.0, double(step - warmup) / span);
  return lr * (min_fraction + (1 - min_fraction) * 0.5 * (1 + std::cos(M_PI * progress)));
}

std::vector<int64_t> snapshot_steps(int64_t total, int n) {
  CS_CHECK(n >= 2, "the number of snapshots must be at least 2, got " << n);
  std::set<int64_t> steps = {0, total};
  // Rounding merges the earliest points; add more log-spaced candidates until n distinct remain.
  for (int m = n - 1; int64_t(steps.size()) < std::min<int64_t>(n, total + 1) && m < 100 * n; ++m) {
    steps = {0, total};
    for (int k = 0; k < m; ++k)
      steps.insert(std::llround(std::pow(double(total), double(k) / double(m - 1))));
  }
  return {steps.begin(), steps.end()};
}

}  // namespace cs
