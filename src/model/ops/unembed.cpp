#include "model/ops/unembed.h"

#include "core/parallel.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/fast_exp.h"
#include "core/gemm.h"
#include "core/max_of.h"
#include "model/ops/bias.h"

namespace cs {

template <class T>
UnembedScratch<T>::UnembedScratch(int64_t rows, int64_t V)
    // ~16M logits per chunk: wide enough for GEMM efficiency, small enough for memory.
    : chunk_rows(std::clamp<int64_t>((int64_t(1) << 24) / std::max<int64_t>(V, 1), 1, rows)),
      logits(chunk_rows * V) {}

namespace {
// In place: row of logits -> softmax probabilities times `scale` (the loss gradient's 1/rows,
// applied in the same pass); returns the row's log-sum-exp.
template <class T>
double softmax_row(T* l, int64_t V, T scale) {
  const T mx = max_of(l, V);
  T sum = 0;
#pragma omp simd reduction(+ : sum)
  for (int64_t v = 0; v < V; ++v) {
    l[v] = fast_exp(l[v] - mx);
    sum += l[v];
  }
  const T inv = T(double(scale) / sum);
  for (int64_t v = 0; v < V; ++v) l[v] *= inv;
  return double(mx) + std::log(double(sum));
}

template <class T>
void check_targets(const int32_t* targets, int64_t rows, int64_t V) {
  for (int64_t r = 0; r < rows; ++r)
    CS_CHECK(targets[r] >= 0 && targets[r] < V,
             "target token " << targets[r] << " outside the vocabulary [0, " << V << ")");
}
}  // namespace

template <class T>
void unembed_forward(const T* xf, const T* W_U, const T* b_U, const int32_t* targets, T* loss, T* logits_out,
                     int64_t rows, int64_t D, int64_t V, UnembedScratch<T>& scratch) {
  if (targets) check_targets<T>(targets, rows, V);
  const int64_t chunk = logits_out ? rows : scratch.chunk_rows;
  for (int64_t r0 = 0; r0 < rows; r0 += chunk) {
    const int64_t n = std::min(chunk, rows - r0);
    T* l = logits_out ? logits_out : scratch.logits.data();
    gemm<T>(false, false, n, V, D, T(1), xf + r0 * D, D, W_U, V, T(0), l, V);
    if (b_U) bias_forward(l, b_U, n, V, V);
    if (!targets) continue;
#pragma omp parallel for schedule(static) if (n * V > kParallelWork)
    for (int64_t r = 0; r < n; ++r) {
      const T* row = l + r * V;
      T mx = row[0];
      #pragma omp simd reduction(max : mx)
      for (int64_t v = 1; v < V; ++v) mx = std::max(mx, row[v]);
      T sum = 0;
#pragma omp simd reduction(+ : sum)
      for (int64_t v = 0; v < V; ++v) sum += fast_exp(row[v] - mx);
      loss[r0 + r] = T(double(mx) + std::log(double(sum)) - double(row[targets[r0 + r]]));
    }
  }
}

template <class T>
void unembed_xent_forward_backward(const T* xf, const T* W_U, const T* b_U, const int32_t* targets,
                                   T* loss, T* dxf, T* dW_U, T* db_U, int64_t rows, int64_t D, int64_t V,
                                   UnembedScratch<T>& scratch) {
  check_targets<T>(targets, rows, V);
  const T inv_rows = T(1) / T(rows);
  for (int64_t r0 = 0; r0 < rows; r0 += scratch.chunk_rows) {
    const int64_t n = std::min(scratch.chunk_rows, rows - r0);
    T* l = scratch.logits.data();
    gemm<T>(false, false, n, V, D, T(1), xf + r0 * D, D, W_U, V, T(0), l, V);
    if (b_U) bias_forward(l, b_U, n, V, V);
#pragma omp parallel for schedule(static) if (n * V > kParallelWork)
    for (int64_t r = 0; r < n; ++r) {
      T* row = l + r * V;
      const int32_t t = targets[r0 + r];
      const T target_logit = row[t];
      loss[r0 + r] = T(softmax_row(row, V, inv_rows) - double(target_logit));
      row[t] -= inv_rows;
    }
    gemm<T>(true, false, D, V, n, T(1), xf + r0 * D, D, l, V, T(1), dW_U, V);
    if (db_U) bias_backward(l, db_U, n, V, V);
    gemm<T>(false, true, n, D, V, T(1), l, V, W_U, V, T(0), dxf + r0 * D, D);
  }
}

#define CS_INSTANTIATE(T)                                                                        \
  template struct UnembedScratch<T>;                                                             \
  template void unembed_forward<T>(const T*, const T*, const T*, const int32_t*, T*, T*, int64_t, \
                                   int64_t, int64_t, UnembedScratch<T>&);                        \
  template void unembed_xent_forward_backward<T>(const T*, const T*, const T*, const int32_t*, T*, \
                                                 T*, T*, T*, int64_t, int64_t, int64_t,          \
                                                 UnembedScratch<T>&);
CS_INSTANTIATE(float)
CS_INSTANTIATE(double)
#undef CS_INSTANTIATE

}  // namespace cs
