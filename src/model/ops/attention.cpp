#include "model/ops/attention.h"

#include "core/parallel.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "core/fast_exp.h"

namespace cs {

namespace {
// Explicit 64-byte vectors (one AVX-512 register; two AVX2 ones): the inner loops keep their
// accumulators in registers instead of storing and reloading a row per step.
// (Spelled per type: GCC drops vector_size on a dependent alias template.)
template <class T>
struct VecOf;
template <>
struct VecOf<float> {
  typedef float type __attribute__((vector_size(64)));
};
template <>
struct VecOf<double> {
  typedef double type __attribute__((vector_size(64)));
};
template <class T>
using Vec = typename VecOf<T>::type;
template <class T>
constexpr int64_t kLanes = 64 / sizeof(T);

template <class T>
inline Vec<T> load(const T* p) {
  Vec<T> v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <class T>
inline void store(T* p, Vec<T> v) {
  std::memcpy(p, &v, sizeof v);
}
template <class T>
inline T hsum(Vec<T> v) {
  T s = 0;
  for (int64_t k = 0; k < kLanes<T>; ++k) s += v[k];
  return s;
}

// Rows of the transposed copies are padded to whole blocks of kPad positions, so a block that
// straddles the row end stays inside the buffer; the padding is zero and contributes nothing.
constexpr int64_t kPad = 16;
int64_t padded(int64_t Tn) { return (Tn + kPad - 1) / kPad * kPad; }

// dst[d * Tp + j] = slot d of position j (q, k or v of one head), zero-padded to Tp.
template <class T>
void transpose_in(const T* base, int64_t stride, int64_t Tn, int64_t Tp, int64_t K, T* dst) {
  for (int64_t d = 0; d < K; ++d) {
    for (int64_t j = 0; j < Tn; ++j) dst[d * Tp + j] = base[j * stride + d];
    std::fill(dst + d * Tp + Tn, dst + (d + 1) * Tp, T(0));
  }
}

// s[0..n) = softmax given the row maximum; s[n..padded_n) is scratch (whole blocks).
inline void exp_row(float* s, int64_t n, int64_t padded_n, float mx) {
  Vec16f sum = {};
  for (int64_t j0 = 0; j0 < padded_n; j0 += 16) {
    Vec16f e = fast_exp(load(s + j0) - mx);
    if (j0 + 16 > n)  // mask the tail: positions past the row do not count
      for (int64_t k = n - j0; k < 16; ++k) e[k] = 0.0f;
    store(s + j0, e);
    sum += e;
  }
  const float inv = 1.0f / hsum<float>(sum);
  for (int64_t j0 = 0; j0 < padded_n; j0 += 16) store(s + j0, load(s + j0) * inv);
}

inline void exp_row(double* s, int64_t n, int64_t, double mx) {
  double sum = 0;
  for (int64_t j = 0; j < n; ++j) {
    s[j] = std::exp(s[j] - mx);
    sum += s[j];
  }
  for (int64_t j = 0; j < n; ++j) s[j] /= sum;
}

template <class T>
void check_threads(const AttentionScratch<T>& s) {
  CS_CHECK(omp_get_max_threads() <= s.threads,
           "thread count " << omp_get_max_threads() << " exceeds the attention scratch sized for "
                           << s.threads << "; set threads before building activations");
}
}  // namespace

template <class T>
AttentionScratch<T>::AttentionScratch(int64_t Tn, int64_t K)
    : per_thread(4 * K * padded(Tn) + padded(Tn)),
      threads(std::max(omp_get_max_threads(), omp_get_num_procs())),
      buf(per_thread * threads) {}

template <class T>
void attention_forward(const T* qkv, T* pattern, T* z, const T* frozen, int64_t B, int64_t Tn,
                       int64_t H, int64_t K, AttentionScratch<T>& scratch) {
  check_threads(scratch);
  constexpr int64_t L = kLanes<T>;
  const int64_t stride = 3 * H * K, Tp = padded(Tn);
  const T scale = T(1) / std::sqrt(T(K));
  // When a value row fills whole vectors, z_i = sum_j p_ij v_j accumulates rows in registers;
  // otherwise it runs over transposed values and reduces each slot across lanes.
  const bool value_rows = K % L == 0;
#pragma omp parallel for schedule(dynamic, 1) if (B * H * Tn * Tn * K > kParallelWork)
  for (int64_t bh = 0; bh < B * H; ++bh) {
    const int64_t b = bh / H, h = bh % H;
    T* kT = scratch.slot(omp_get_thread_num());  // [K, Tp]
    T* vT = kT + K * Tp;                           // [K, Tp]
    T* s = vT + K * Tp;                            // [Tp] scores, then probabilities
    const T* base = qkv + b * Tn * stride;
    const T* v0 = base + 2 * H * K + h * K;
    if (!frozen) transpose_in(base + H * K + h * K, stride, Tn, Tp, K, kT);
    if (!value_rows) transpose_in(v0, stride, Tn, Tp, K, vT);
    for (int64_t i = 0; i < Tn; ++i) {
      T* p = pattern + (bh * Tn + i) * Tn;
      const int64_t blocks = (i + L) / L;  // cover keys 0..i
      if (frozen) {
        std::copy(frozen + (bh * Tn + i) * Tn, frozen + (bh * Tn + i) * Tn + i + 1, s);
      } else {
        const T* q = base + i * stride + h * K;
        for (int64_t j0 = 0; j0 < blocks * L; j0 += L) {
          Vec<T> acc = {};
          for (int64_t d = 0; d < K; ++d) acc += (q[d] * scale) * load(kT + d * Tp + j0);
          store(s + j0, acc);
        }
        T mx = s[0];
#pragma omp simd reduction(max : mx)
        for (int64_t j = 1; j <= i; ++j) mx = std::max(mx, s[j]);
        exp_row(s, i + 1, blocks * L, mx);
      }
      std::copy(s, s + i + 1, p);
      std::fill(p + i + 1, p + Tn, T(0));
      T* zi = z + (b * Tn + i) * H * K + h * K;
      if (value_rows) {
        for (int64_t c = 0; c < K; c += L) {
          Vec<T> acc = {};
          for (int64_t j = 0; j <= i; ++j) acc += s[j] * load(v0 + j * stride + c);
          store(zi + c, acc);
        }
      } else {
        std::fill(s + i + 1, s + blocks * L, T(0));
        for (int64_t d = 0; d < K; ++d) {
          Vec<T> acc = {};
          for (int64_t j0 = 0; j0 < blocks * L; j0 += L) acc += load(s + j0) * load(vT + d * Tp + j0);
          zi[d] = hsum<T>(acc);
        }
      }
    }
  }
}

template <class T>
void attention_backward(const T* qkv, const T* pattern, const T* dz, T* dqkv, int64_t B,
                        int64_t Tn, int64_t H, int64_t K, AttentionScratch<T>& scratch) {
  check_threads(scratch);
  constexpr int64_t L = kLanes<T>;
  const int64_t stride = 3 * H * K, Tp = padded(Tn);
  const T scale = T(1) / std::sqrt(T(K));
#pragma omp parallel for schedule(dynamic, 1) if (B * H * Tn * Tn * K > kParallelWork)
  for (int64_t bh = 0; bh < B * H; ++bh) {
    const int64_t b = bh / H, h = bh % H;
    T* kT = scratch.slot(omp_get_thread_num());
    T* vT = kT + K * Tp;
    T* dkT = vT + K * Tp;
    T* dvT = dkT + K * Tp;
    T* g = dvT + K * Tp;  // dpattern, then dscores, of one query row (zero-padded)
    const T* base = qkv + b * Tn * stride;
    T* dbase = dqkv + b * Tn * stride;
    transpose_in(base + H * K + h * K, stride, Tn, Tp, K, kT);
    transpose_in(base + 2 * H * K + h * K, stride, Tn, Tp, K, vT);
    std::fill(dkT, dkT + 2 * K * Tp, T(0));
    for (int64_t i = 0; i < Tn; ++i) {
      const T* p = pattern + (bh * Tn + i) * Tn;
      const T* dzi = dz + (b * Tn + i) * H * K + h * K;
      const T* q = base + i * stride + h * K;
      const int64_t blocks = (i + L) / L;
      for (int64_t j0 = 0; j0 < blocks * L; j0 += L) {
        Vec<T> acc = {};
        for (int64_t d = 0; d < K; ++d) acc += dzi[d] * load(vT + d * Tp + j0);
        store(g + j0, acc);
      }
      // softmax backward: dS = P (dP - sum_j P dP), then the 1/sqrt(K) scale
      T rowdot = 0;
#pragma omp simd reduction(+ : rowdot)
      for (int64_t j = 0; j <= i; ++j) rowdot += p[j] * g[j];
#pragma omp simd
      for (int64_t j = 0; j <= i; ++j) g[j] = p[j] * (g[j] - rowdot) * scale;
      std::fill(g + i + 1, g + blocks * L, T(0));
      T* dq = dbase + i * stride + h * K;
      for (int64_t d = 0; d < K; ++d) {
        const T qd = q[d], dzd = dzi[d];
        Vec<T> acc = {};
        for (int64_t j0 = 0; j0 < blocks * L; j0 += L) {
          const Vec<T> gj = load(g + j0);
          acc += gj * load(kT + d * Tp + j0);
          store(dkT + d * Tp + j0, load(dkT + d * Tp + j0) + gj * qd);
        }
        dq[d] = hsum<T>(acc);
#pragma omp simd
        for (int64_t j = 0; j <= i; ++j) dvT[d * Tp + j] += p[j] * dzd;
      }
    }
    for (int64_t j = 0; j < Tn; ++j)
      for (int64_t d = 0; d < K; ++d) {
        dbase[j * stride + H * K + h * K + d] = dkT[d * Tp + j];
        dbase[j * stride + 2 * H * K + h * K + d] = dvT[d * Tp + j];
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
