#include "model/ops/embed.h"

#include "core/parallel.h"

namespace cs {

template <class T>
void embed_forward(const int32_t* tokens, const T* W_E, const T* W_pos, T* x, int64_t B,
                   int64_t Tn, int64_t D) {
#pragma omp parallel for schedule(static) if (B * Tn * D > kParallelWork)
  for (int64_t r = 0; r < B * Tn; ++r) {
    const T* e = W_E + int64_t(tokens[r]) * D;
    const T* p = W_pos ? W_pos + (r % Tn) * D : nullptr;
    T* xr = x + r * D;
    for (int64_t d = 0; d < D; ++d) xr[d] = p ? e[d] + p[d] : e[d];
  }
}

template <class T>
void embed_backward(const int32_t* tokens, const T* dx, T* dW_E, T* dW_pos, int64_t B, int64_t Tn,
                    int64_t D) {
  // Serial scatter: tokens repeat, and a fixed order keeps training bit-reproducible.
  for (int64_t r = 0; r < B * Tn; ++r) {
    T* e = dW_E + int64_t(tokens[r]) * D;
    const T* g = dx + r * D;
    for (int64_t d = 0; d < D; ++d) e[d] += g[d];
  }
  if (dW_pos) add_positions_backward(dx, dW_pos, B, Tn, D);
}

template <class T>
void add_positions_forward(const T* x, const T* W_pos, T* y, int64_t B, int64_t Tn, int64_t D) {
#pragma omp parallel for schedule(static) if (B * Tn * D > kParallelWork)
  for (int64_t r = 0; r < B * Tn; ++r) {
    const T* p = W_pos + (r % Tn) * D;
    for (int64_t d = 0; d < D; ++d) y[r * D + d] = x[r * D + d] + p[d];
  }
}

template <class T>
void add_positions_backward(const T* dy, T* dW_pos, int64_t B, int64_t Tn, int64_t D) {
#pragma omp parallel for schedule(static) if (B * Tn * D > kParallelWork)
  for (int64_t t = 0; t < Tn; ++t)
    for (int64_t b = 0; b < B; ++b)
      for (int64_t d = 0; d < D; ++d) dW_pos[t * D + d] += dy[(b * Tn + t) * D + d];
}

#define CS_INSTANTIATE(T)                                                                        \
  template void embed_forward<T>(const int32_t*, const T*, const T*, T*, int64_t, int64_t,       \
                                 int64_t);                                                        \
  template void embed_backward<T>(const int32_t*, const T*, T*, T*, int64_t, int64_t, int64_t);  \
  template void add_positions_forward<T>(const T*, const T*, T*, int64_t, int64_t, int64_t);     \
  template void add_positions_backward<T>(const T*, T*, int64_t, int64_t, int64_t);
CS_INSTANTIATE(float)
CS_INSTANTIATE(double)
#undef CS_INSTANTIATE

}  // namespace cs
