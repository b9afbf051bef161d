#include "analysis/logit_variants.h"

#include <omp.h>

#include <algorithm>

#include "analysis/row_loss.h"
#include "core/gemm.h"
#include "core/max_of.h"

namespace cs::analysis {

namespace {

constexpr int64_t kBlockRows = 64;  // fewer rows make the d_head-wide products measurably slower

// The two logit blocks of one thread, kept across calls: the ablation sweep calls once per chunk
// of every snapshot, and fresh 2 x kBlockRows x d_vocab buffers would be faulted in each time.
template <class T>
T* scratch(int64_t n) {
  thread_local std::vector<T> buf;
  if (int64_t(buf.size()) < n) buf.resize(size_t(n));
  return buf.data();
}

template <class T>
void block_losses(const LogitVariants<T>& v, const T* W_U, int64_t D, int64_t V,
                  const int32_t* targets, int64_t rows, int64_t r0, double* losses) {
  const int64_t m = std::min(kBlockRows, rows - r0);
  T* const buf = scratch<T>(2 * kBlockRows * V);
  T* const base = buf;
  T* const work = buf + kBlockRows * V;
  gemm<T>(false, false, m, V, D, T(1), v.stream + r0 * D, D, W_U, V, T(0), base, V);
  T shift[kBlockRows];  // each reference row's maximum: variants sit close to it
  for (int64_t r = 0; r < m; ++r) {
    shift[r] = max_of(base + r * V, V);
    losses[r0 + r] = row_loss_near(base + r * V, V, targets[r0 + r], shift[r]);
  }
  int64_t i = 1;
  for (const T* s : v.streams) {
    gemm<T>(false, false, m, V, D, T(1), s + r0 * D, D, W_U, V, T(0), work, V);
    for (int64_t r = 0; r < m; ++r)
      losses[i * rows + r0 + r] = row_loss_near(work + r * V, V, targets[r0 + r], shift[r]);
    ++i;
  }
  for (const RankTerm<T>& t : v.terms) {
    gemm<T>(false, false, m, V, t.K, T(1), t.z + r0 * t.ldz, t.ldz, t.OU, V, T(0), work, V);
    for (int64_t r = 0; r < m; ++r)
      losses[i * rows + r0 + r] =
          row_loss_minus_near(base + r * V, work + r * V, V, targets[r0 + r], shift[r]);
    ++i;
  }
}

}  // namespace

template <class T>
void variant_row_losses(const LogitVariants<T>& v, const T* W_U, int64_t D, int64_t V,
                        const int32_t* targets, int64_t rows, double* losses) {
  const int64_t blocks = (rows + kBlockRows - 1) / kBlockRows;
#pragma omp parallel for schedule(dynamic, 1) if (!omp_in_parallel() && blocks > 1)
  for (int64_t b = 0; b < blocks; ++b) block_losses(v, W_U, D, V, targets, rows, b * kBlockRows, losses);
}

template <class T>
std::vector<double> variant_mean_losses(const LogitVariants<T>& v, const T* W_U, int64_t D, int64_t V,
                                        const int32_t* targets, int64_t rows) {
  std::vector<double> losses(size_t(v.count() * rows));
  variant_row_losses(v, W_U, D, V, targets, rows, losses.data());
  std::vector<double> mean(size_t(v.count()), 0.0);
  for (int64_t i = 0; i < v.count(); ++i) {
    for (int64_t r = 0; r < rows; ++r) mean[size_t(i)] += losses[size_t(i * rows + r)];
    mean[size_t(i)] /= double(rows);
  }
  return mean;
}

#define CS_INSTANTIATE(T)                                                                         \
  template void variant_row_losses<T>(const LogitVariants<T>&, const T*, int64_t, int64_t,        \
                                      const int32_t*, int64_t, double*);                          \
  template std::vector<double> variant_mean_losses<T>(const LogitVariants<T>&, const T*, int64_t, \
                                                      int64_t, const int32_t*, int64_t);
CS_INSTANTIATE(float)
CS_INSTANTIATE(double)
#undef CS_INSTANTIATE

}  // namespace cs::analysis
