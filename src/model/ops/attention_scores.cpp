#include "model/ops/attention_scores.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/gemm.h"
#include "core/parallel.h"

namespace cs {

template <class T>
void attention_scores_forward(const T* qkv, T* scores, int64_t B, int64_t Tn, int64_t H, int64_t K) {
  const int64_t stride = 3 * H * K;
  const T scale = T(1) / std::sqrt(T(K));
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h) {
      const T* q = qkv + b * Tn * stride + h * K;
      T* s = scores + (b * H + h) * Tn * Tn;
      gemm<T>(false, true, Tn, Tn, K, scale, q, stride, q + H * K, stride, T(0), s, Tn);
      for (int64_t i = 0; i < Tn; ++i)
        for (int64_t j = i + 1; j < Tn; ++j) s[i * Tn + j] = -std::numeric_limits<T>::infinity();
    }
}

template <class T>
void softmax_rows_forward(const T* scores, T* pattern, int64_t rows, int64_t n) {
#pragma omp parallel for schedule(static) if (rows * n > kParallelWork)
  for (int64_t r = 0; r < rows; ++r) {
    const T* s = scores + r * n;
    T* p = pattern + r * n;
    T top = -std::numeric_limits<T>::infinity();
    for (int64_t j = 0; j < n; ++j) top = std::max(top, s[j]);
    double sum = 0;
    for (int64_t j = 0; j < n; ++j) {
      p[j] = std::isinf(top) && top < 0 ? T(0) : T(std::exp(double(s[j]) - double(top)));
      sum += double(p[j]);
    }
    for (int64_t j = 0; j < n && sum > 0; ++j) p[j] = T(double(p[j]) / sum);
  }
}

template void attention_scores_forward<float>(const float*, float*, int64_t, int64_t, int64_t, int64_t);
template void attention_scores_forward<double>(const double*, double*, int64_t, int64_t, int64_t, int64_t);
template void softmax_rows_forward<float>(const float*, float*, int64_t, int64_t);
template void softmax_rows_forward<double>(const double*, double*, int64_t, int64_t);

}  // namespace cs
