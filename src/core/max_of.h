#pragma once
// The maximum of a row of scores or logits. A max reduction over floats stays scalar under GCC
// (NaN rules) even with `omp simd`; written as 64 independent lanes it vectorises, and the lanes
// also keep any one compare chain from setting the pace.
#include <cstdint>

namespace cs {

template <class T>
T max_of(const T* x, int64_t n) {  // n >= 1
  constexpr int64_t W = 64;
  T mx = x[0];
  int64_t j = 1;
  if (n >= W) {
    T m[W];
    for (int64_t k = 0; k < W; ++k) m[k] = x[k];
    for (j = W; j + W <= n; j += W)
      for (int64_t k = 0; k < W; ++k) m[k] = x[j + k] > m[k] ? x[j + k] : m[k];
    mx = m[0];
    for (int64_t k = 1; k < W; ++k) mx = m[k] > mx ? m[k] : mx;
  }
  for (; j < n; ++j) mx = x[j] > mx ? x[j] : mx;
  return mx;
}

}  // namespace cs
