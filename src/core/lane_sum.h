#pragma once
// sum over i in [0, n) of f(i), in double, as 16 independent lanes added up at the end. A plain
// running sum is one chain of dependent adds (the compiler may not reorder floating-point adds),
// which ran the LayerNorm statistics and the gradient norm at one add per four cycles; the lanes
// vectorise. The order is fixed, so the result does not depend on threads.
#include <cstdint>

namespace cs {

template <class F>
double lane_sum(int64_t n, F f) {
  constexpr int64_t W = 16;
  double lane[W] = {};
  int64_t i = 0;
  for (; i + W <= n; i += W)
    for (int64_t k = 0; k < W; ++k) lane[k] += f(i + k);
  double sum = 0;
  for (; i < n; ++i) sum += f(i);
  for (int64_t k = 0; k < W; ++k) sum += lane[k];
  return sum;
}

}  // namespace cs
