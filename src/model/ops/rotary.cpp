#include "model/ops/rotary.h"

#include "core/parallel.h"

#include <cmath>

namespace cs {

template <class T>
RotaryTable<T>::RotaryTable(int64_t n_ctx, int64_t rotary_dim, double base)
    : half(rotary_dim / 2), cos(n_ctx * (rotary_dim / 2)), sin(n_ctx * (rotary_dim / 2)) {
  for (int64_t t = 0; t < n_ctx; ++t)
    for (int64_t i = 0; i < half; ++i) {
      const double angle = double(t) * std::pow(base, -2.0 * double(i) / double(rotary_dim));
      cos[t * half + i] = T(std::cos(angle));
      sin[t * half + i] = T(std::sin(angle));
    }
}

namespace {
// direction +1 rotates forward, -1 applies the transpose.
template <class T>
void rotate(T* qkv, const RotaryTable<T>& tab, int64_t B, int64_t Tn, int64_t H, int64_t K,
            T direction) {
  const int64_t half = tab.half, stride = 3 * H * K;
#pragma omp parallel for schedule(static) if (B * Tn * H * K > kParallelWork)
  for (int64_t r = 0; r < B * Tn; ++r) {
    const T* c = tab.cos.data() + (r % Tn) * half;
    const T* s = tab.sin.data() + (r % Tn) * half;
    for (int64_t slot = 0; slot < 2 * H; ++slot) {  // q heads then k heads
      T* x = qkv + r * stride + slot * K;
      for (int64_t i = 0; i < half; ++i) {
        const T x1 = x[i], x2 = x[i + half], sn = direction * s[i];
        x[i] = x1 * c[i] - x2 * sn;
        x[i + half] = x2 * c[i] + x1 * sn;
      }
    }
  }
}
}  // namespace

template <class T>
void rotary_forward(T* qkv, const RotaryTable<T>& table, int64_t B, int64_t Tn, int64_t H,
                    int64_t K) {
  rotate(qkv, table, B, Tn, H, K, T(1));
}

template <class T>
void rotary_backward(T* dqkv, const RotaryTable<T>& table, int64_t B, int64_t Tn, int64_t H,
                     int64_t K) {
  rotate(dqkv, table, B, Tn, H, K, T(-1));
}

template struct RotaryTable<float>;
template struct RotaryTable<double>;
template void rotary_forward<float>(float*, const RotaryTable<float>&, int64_t, int64_t, int64_t, int64_t);
template void rotary_forward<double>(double*, const RotaryTable<double>&, int64_t, int64_t, int64_t, int64_t);
template void rotary_backward<float>(float*, const RotaryTable<float>&, int64_t, int64_t, int64_t, int64_t);
template void rotary_backward<double>(double*, const RotaryTable<double>&, int64_t, int64_t, int64_t, int64_t);

}  // namespace cs
