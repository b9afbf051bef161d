#include "model/ops/layernorm.h"

#include "core/lane_sum.h"
#include "core/parallel.h"

#include <cmath>
#include <vector>

namespace cs {

template <class T>
void layernorm_forward(const T* x, T* y, T* mean, T* rstd, const T* w, const T* b, int64_t rows,
                       int64_t D, double eps) {
#pragma omp parallel for schedule(static) if (rows * D > kParallelWork)
  for (int64_t r = 0; r < rows; ++r) {
    const T* xr = x + r * D;
    const double m = lane_sum(D, [&](int64_t d) { return double(xr[d]); }) / double(D);
    const double v = lane_sum(D, [&](int64_t d) { return (xr[d] - m) * (xr[d] - m); });
    const double s = 1.0 / std::sqrt(v / double(D) + eps);
    mean[r] = T(m);
    rstd[r] = T(s);
    T* yr = y + r * D;
    for (int64_t d = 0; d < D; ++d) {
      const T h = T((xr[d] - m) * s);
      yr[d] = w ? h * w[d] + b[d] : h;
    }
  }
}

template <class T>
void layernorm_backward(const T* dy, const T* x, const T* mean, const T* rstd, const T* w, T* dx,
                        T* dw, T* db, int64_t rows, int64_t D) {
  // Row gradients are independent; parameter gradients are reduced serially afterwards so the
  // result does not depend on the thread count.
#pragma omp parallel for schedule(static) if (rows * D > kParallelWork)
  for (int64_t r = 0; r < rows; ++r) {
    const T* xr = x + r * D;
    const T* dyr = dy + r * D;
    const double m = mean[r], s = rstd[r];
    auto g_at = [&](int64_t d) { return w ? double(dyr[d] * w[d]) : double(dyr[d]); };
    const double g_mean = lane_sum(D, g_at) / double(D);
    const double gx_mean = lane_sum(D, [&](int64_t d) { return g_at(d) * (xr[d] - m) * s; }) / double(D);
    T* dxr = dx + r * D;
    for (int64_t d = 0; d < D; ++d) {
      const double h = (xr[d] - m) * s;
      dxr[d] += T(s * (g_at(d) - g_mean - h * gx_mean));
    }
  }
  if (!w) return;
  for (int64_t r = 0; r < rows; ++r) {
    const T* xr = x + r * D;
    const T* dyr = dy + r * D;
    for (int64_t d = 0; d < D; ++d) {
      dw[d] += dyr[d] * T((xr[d] - mean[r]) * rstd[r]);
      db[d] += dyr[d];
    }
  }
}

template void layernorm_forward<float>(const float*, float*, float*, float*, const float*,
                                       const float*, int64_t, int64_t, double);
template void layernorm_forward<double>(const double*, double*, double*, double*, const double*,
                                        const double*, int64_t, int64_t, double);
template void layernorm_backward<float>(const float*, const float*, const float*, const float*,
                                        const float*, float*, float*, float*, int64_t, int64_t);
template void layernorm_backward<double>(const double*, const double*, const double*,
                                         const double*, const double*, double*, double*, double*,
                                         int64_t, int64_t);

}  // namespace cs
