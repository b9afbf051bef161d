#pragma once
// Learning-rate schedule and the snapshot schedule.
#include <cstdint>
#include <string>
#include <vector>

namespace cs {

// Linear warm-up to lr over warmup steps, then constant, or cosine down to lr * min_fraction at
// the last step.
double learning_rate(int64_t step, int64_t total_steps, double lr, int64_t warmup,
                     const std::string& schedule, double min_fraction);

// About n steps in [0, total], 0 and total included, log-spaced so they are dense early (the ICL
// curve is read on a log-token axis).
std::vector<int64_t> snapshot_steps(int64_t total, int n);

}  // namespace cs
