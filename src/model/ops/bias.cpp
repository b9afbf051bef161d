#include "model/ops/bias.h"

#include <algorithm>

#include "core/parallel.h"

namespace cs {

template <class T>
void bias_forward(T* y, const T* b, int64_t rows, int64_t N, int64_t ld) {
#pragma omp parallel for schedule(static) if (rows * N > kParallelWork)
  for (int64_t r = 0; r < rows; ++r) {
    T* yr = y + r * ld;
#pragma omp simd
    for (int64_t n = 0; n < N; ++n) yr[n] += b[n];
  }
}

template <class T>
void bias_backward(const T* dy, T* db, int64_t rows, int64_t N, int64_t ld) {
  // Column blocks of 64 per thread: rows stream through the cache once, and a block's sums stay
  // in registers.
  constexpr int64_t kBlock = 64;
  const int64_t blocks = (N + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static) if (rows * N > kParallelWork)
  for (int64_t blk = 0; blk < blocks; ++blk) {
    const int64_t n0 = blk * kBlock, n1 = std::min(N, n0 + kBlock);
    T acc[kBlock] = {};
    for (int64_t r = 0; r < rows; ++r) {
      const T* row = dy + r * ld;
#pragma omp simd
      for (int64_t n = n0; n < n1; ++n) acc[n - n0] += row[n];
    }
    for (int64_t n = n0; n < n1; ++n) db[n] += acc[n - n0];
  }
}

template void bias_forward<float>(float*, const float*, int64_t, int64_t, int64_t);
template void bias_forward<double>(double*, const double*, int64_t, int64_t, int64_t);
template void bias_backward<float>(const float*, float*, int64_t, int64_t, int64_t);
template void bias_backward<double>(const double*, double*, int64_t, int64_t, int64_t);

}  // namespace cs
