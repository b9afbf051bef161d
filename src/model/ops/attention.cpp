#include "model/ops/attention.h"

#include "core/parallel.h"

#include <omp.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/fast_exp.h"

namespace cs {

template <class T>
AttentionScratch<T>::AttentionScratch(int64_t Tn, int64_t K)
    : per_thread(4 * K * Tn + Tn), threads(std::max(omp_get_max_threads(), omp_get_num_procs())),
      buf(per_thread * threads) {}

namespace {
template <class T>
void check_threads(const AttentionScratch<T>& s) {
  CS_CHECK(omp_get_max_threads() <= s.threads,
           "thread count " << omp_get_max_threads() << " exceeds the attention scratch sized for "
                           << s.threads << "; set threads before building activations");
}
}  // namespace

template <class T>
void attention_forward(const T* qkv, T* pattern, T* z, const T* frozen, int64_t B, int64_t Tn,
                       int64_t H, int64_t K, AttentionScratch<T>& scratch) {
  check_threads(scratch);
  const int64_t stride = 3 * H * K;
  const T scale = T(1) / std::sqrt(T(K));
#pragma omp parallel for schedule(dynamic, 1) if (B * H * Tn * Tn * K > kParallelWork)
  for (int64_t bh = 0; bh < B * H; ++bh) {
    const int64_t b = bh / H, h = bh % H;
    T* kT = scratch.slot(omp_get_thread_num());  // [K, T]: scores vectorise over key positions
    T* s = kT + K * Tn;
    const T* base = qkv + b * Tn * stride;
    for (int64_t j = 0; j < Tn; ++j)
      for (int64_t d = 0; d < K; ++d) kT[d * Tn + j] = base[j * stride + H * K + h * K + d];
    for (int64_t i = 0; i < Tn; ++i) {
      T* p = pattern + (bh * Tn + i) * Tn;
      if (frozen) {
        std::copy(frozen + (bh * Tn + i) * Tn, frozen + (bh * Tn + i + 1) * Tn, p);
      } else {
        const T* q = base + i * stride + h * K;
        std::fill(s, s + i + 1, T(0));
        for (int64_t d = 0; d < K; ++d) {
          const T qd = q[d] * scale;
          const T* kd = kT + d * Tn;
          for (int64_t j = 0; j <= i; ++j) s[j] += qd * kd[j];
        }
        T mx = s[0];
        #pragma omp simd reduction(max : mx)
        for (int64_t j = 1; j <= i; ++j) mx = std::max(mx, s[j]);
        T sum = 0;
#pragma omp simd reduction(+ : sum)
        for (int64_t j = 0; j <= i; ++j) {
          p[j] = fast_exp(s[j] - mx);
          sum += p[j];
        }
        const T inv = T(1) / sum;
        for (int64_t j = 0; j <= i; ++j) p[j] *= inv;
        std::fill(p + i + 1, p + Tn, T(0));
      }
      T* zi = z + (b * Tn + i) * H * K + h * K;
      std::fill(zi, zi + K, T(0));
      for (int64_t j = 0; j <= i; ++j) {
        const T pj = p[j];
        const T* v = base + j * stride + 2 * H * K + h * K;
        for (int64_t d = 0; d < K; ++d) zi[d] += pj * v[d];
      }
    }
  }
}

template <class T>
void attention_backward(const T* qkv, const T* pattern, const T* dz, T* dqkv, int64_t B,
                        int64_t Tn, int64_t H, int64_t K, AttentionScratch<T>& scratch) {
  check_threads(scratch);
  const int64_t stride = 3 * H * K;
  const T scale = T(1) / std::sqrt(T(K));
#pragma omp parallel for schedule(dynamic, 1) if (B * H * Tn * Tn * K > kParallelWork)
  for (int64_t bh = 0; bh < B * H; ++bh) {
    const int64_t b = bh / H, h = bh % H;
    T* kT = scratch.slot(omp_get_thread_num());
    T* vT = kT + K * Tn;
    T* dkT = vT + K * Tn;
    T* dvT = dkT + K * Tn;
    T* g = dvT + K * Tn;  // dpattern, then dscores, of one query row
    const T* base = qkv + b * Tn * stride;
    T* dbase = dqkv + b * Tn * stride;
    for (int64_t j = 0; j < Tn; ++j)
      for (int64_t d = 0; d < K; ++d) {
        kT[d * Tn + j] = base[j * stride + H * K + h * K + d];
        vT[d * Tn + j] = base[j * stride + 2 * H * K + h * K + d];
      }
    std::fill(dkT, dkT + 2 * K * Tn, T(0));
    for (int64_t i = 0; i < Tn; ++i) {
      const T* p = pattern + (bh * Tn + i) * Tn;
      const T* dzi = dz + (b * Tn + i) * H * K + h * K;
      const T* q = base + i * stride + h * K;
      std::fill(g, g + i + 1, T(0));
      for (int64_t d = 0; d < K; ++d) {
        const T dzd = dzi[d];
        const T* vd = vT + d * Tn;
        T* dvd = dvT + d * Tn;
        for (int64_t j = 0; j <= i; ++j) {
          g[j] += dzd * vd[j];
          dvd[j] += p[j] * dzd;
        }
      }
      // softmax backward: dS = P (dP - sum_j P dP), then the 1/sqrt(K) scale
      T rowdot = 0;
#pragma omp simd reduction(+ : rowdot)
      for (int64_t j = 0; j <= i; ++j) rowdot += p[j] * g[j];
      for (int64_t j = 0; j <= i; ++j) g[j] = p[j] * (g[j] - rowdot) * scale;
      T* dq = dbase + i * stride + h * K;
      for (int64_t d = 0; d < K; ++d) {
        const T* kd = kT + d * Tn;
        T* dkd = dkT + d * Tn;
        const T qd = q[d];
        T acc = 0;
#pragma omp simd reduction(+ : acc)
        for (int64_t j = 0; j <= i; ++j) {
          acc += g[j] * kd[j];
          dkd[j] += g[j] * qd;
        }
        dq[d] = acc;
      }
    }
    for (int64_t j = 0; j < Tn; ++j)
      for (int64_t d = 0; d < K; ++d) {
        dbase[j * stride + H * K + h * K + d] = dkT[d * Tn + j];
        dbase[j * stride + 2 * H * K + h * K + d] = dvT[d * Tn + j];
      }
  }
}

template struct AttentionScratch<float>;
template struct AttentionScratch<double>;
template void attention_forward<float>(const float*, float*, float*, const float*, int64_t,
                                       int64_t, int64_t, int64_t, AttentionScratch<float>&);
template void attention_forward<double>(const double*, double*, double*, const double*, int64_t,
                                        int64_t, int64_t, int64_t, AttentionScratch<double>&);
template void attention_backward<float>(const float*, const float*, const float*, float*, int64_t,
                                        int64_t, int64_t, int64_t, AttentionScratch<float>&);
template void attention_backward<double>(const double*, const double*, const double*, double*,
                                         int64_t, int64_t, int64_t, int64_t,
                                         AttentionScratch<double>&);

}  // namespace cs
