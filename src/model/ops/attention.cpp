#include "model/ops/attention.h"

#include "core/parallel.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "core/fast_exp.h"
#include "core/max_of.h"

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

// sum of a[j] b[j] over [0, n): four independent vector chains, then the tail.
template <class T>
T dot(const T* a, const T* b, int64_t n) {
  constexpr int64_t L = kLanes<T>;
  Vec<T> s0 = {}, s1 = {}, s2 = {}, s3 = {};
  int64_t j = 0;
  for (; j + 4 * L <= n; j += 4 * L) {
    s0 += load(a + j) * load(b + j);
    s1 += load(a + j + L) * load(b + j + L);
    s2 += load(a + j + 2 * L) * load(b + j + 2 * L);
    s3 += load(a + j + 3 * L) * load(b + j + 3 * L);
  }
  for (; j + L <= n; j += L) s0 += load(a + j) * load(b + j);
  T sum = hsum<T>((s0 + s1) + (s2 + s3));
  for (; j < n; ++j) sum += a[j] * b[j];
  return sum;
}

// Rows of the transposed copies are padded to whole blocks of kPad positions, so a block that
// straddles the row end stays inside the buffer; the padding is zero and contributes nothing.
constexpr int64_t kPad = 16;
constexpr int64_t kRows = 4;  // query rows the backward takes together
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
    : per_thread(4 * K * padded(Tn) + kRows * padded(Tn)),
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
        // Four blocks of keys at a time: four independent chains of adds instead of one.
        int64_t j0 = 0;
        for (; j0 + 4 * L <= blocks * L; j0 += 4 * L) {
          Vec<T> a0 = {}, a1 = {}, a2 = {}, a3 = {};
          for (int64_t d = 0; d < K; ++d) {
            const T qd = q[d] * scale;
            const T* k = kT + d * Tp + j0;
            a0 += qd * load(k);
            a1 += qd * load(k + L);
            a2 += qd * load(k + 2 * L);
            a3 += qd * load(k + 3 * L);
          }
          store(s + j0, a0);
          store(s + j0 + L, a1);
          store(s + j0 + 2 * L, a2);
          store(s + j0 + 3 * L, a3);
        }
        for (; j0 < blocks * L; j0 += L) {
          Vec<T> acc = {};
          for (int64_t d = 0; d < K; ++d) acc += (q[d] * scale) * load(kT + d * Tp + j0);
          store(s + j0, acc);
        }
        exp_row(s, i + 1, blocks * L, max_of(s, i + 1));
      }
      std::copy(s, s + i + 1, p);
      std::fill(p + i + 1, p + Tn, T(0));
      T* zi = z + (b * Tn + i) * H * K + h * K;
      if (value_rows) {
        // Four accumulators: one chain of dependent adds would wait on each add's latency.
        for (int64_t c = 0; c < K; c += L) {
          Vec<T> a0 = {}, a1 = {}, a2 = {}, a3 = {};
          int64_t j = 0;
          for (; j + 3 <= i; j += 4) {
            a0 += s[j] * load(v0 + j * stride + c);
            a1 += s[j + 1] * load(v0 + (j + 1) * stride + c);
            a2 += s[j + 2] * load(v0 + (j + 2) * stride + c);
            a3 += s[j + 3] * load(v0 + (j + 3) * stride + c);
          }
          for (; j <= i; ++j) a0 += s[j] * load(v0 + j * stride + c);
          store(zi + c, (a0 + a1) + (a2 + a3));
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

namespace {

// Backward of R consecutive query rows i .. i+R-1 of one (batch, head): each load of a k, v, dk or
// dv block then serves R rows instead of one, which is what bounds this loop.
template <int R, class T>
void backward_rows(int64_t i, const T* pattern_bh, const T* dz_b, const T* base, T* dbase,
                   int64_t Tn, int64_t Tp, int64_t stride, int64_t h, int64_t H, int64_t K,
                   const T* kT, const T* vT, T* dkT, T* dvT, T* g) {
  constexpr int64_t L = kLanes<T>;
  const T scale = T(1) / std::sqrt(T(K));
  const int64_t last = i + R - 1, blocks = (last + L) / L;
  const T* p[R];
  const T* dzi[R];
  const T* q[R];
  T* gr[R];
  for (int r = 0; r < R; ++r) {
    p[r] = pattern_bh + (i + r) * Tn;  // zero past its own row: pads the shorter rows
    dzi[r] = dz_b + (i + r) * H * K + h * K;
    q[r] = base + (i + r) * stride + h * K;
    gr[r] = g + r * Tp;
  }
  // dP = dz v^T: the R rows' sums are independent chains sharing each v block.
  for (int64_t j0 = 0; j0 < blocks * L; j0 += L) {
    Vec<T> acc[R];
    for (int r = 0; r < R; ++r) acc[r] = Vec<T>{};
    for (int64_t d = 0; d < K; ++d) {
      const Vec<T> v = load(vT + d * Tp + j0);
      for (int r = 0; r < R; ++r) acc[r] += dzi[r][d] * v;
    }
    for (int r = 0; r < R; ++r) store(gr[r] + j0, acc[r]);
  }
  for (int r = 0; r < R; ++r) {
    // softmax backward: dS = P (dP - sum_j P dP), then the 1/sqrt(K) scale
    const int64_t n = i + r + 1;
    const T* pr = p[r];
    T* g_r = gr[r];
    const T rowdot = dot(pr, g_r, n);
#pragma omp simd
    for (int64_t j = 0; j < n; ++j) g_r[j] = pr[j] * (g_r[j] - rowdot) * scale;
    std::fill(g_r + n, g_r + blocks * L, T(0));
  }
  for (int64_t d = 0; d < K; ++d) {
    T qd[R], dzd[R];
    Vec<T> acc[R];
    for (int r = 0; r < R; ++r) {
      qd[r] = q[r][d];
      dzd[r] = dzi[r][d];
      acc[r] = Vec<T>{};
    }
    T* dk = dkT + d * Tp;
    const T* k = kT + d * Tp;
    for (int64_t j0 = 0; j0 < blocks * L; j0 += L) {
      const Vec<T> kj = load(k + j0);
      Vec<T> dkj = load(dk + j0);
      for (int r = 0; r < R; ++r) {
        const Vec<T> gj = load(gr[r] + j0);
        acc[r] += gj * kj;
        dkj += gj * qd[r];
      }
      store(dk + j0, dkj);
    }
    for (int r = 0; r < R; ++r) dbase[(i + r) * stride + h * K + d] = hsum<T>(acc[r]);
    T* dv = dvT + d * Tp;
#pragma omp simd
    for (int64_t j = 0; j <= last; ++j) {
      T sum = dv[j];
      for (int r = 0; r < R; ++r) sum += p[r][j] * dzd[r];
      dv[j] = sum;
    }
  }
}

}  // namespace

template <class T>
void attention_backward(const T* qkv, const T* pattern, const T* dz, T* dqkv, int64_t B,
                        int64_t Tn, int64_t H, int64_t K, AttentionScratch<T>& scratch) {
  check_threads(scratch);
  const int64_t stride = 3 * H * K, Tp = padded(Tn);
#pragma omp parallel for schedule(dynamic, 1) if (B * H * Tn * Tn * K > kParallelWork)
  for (int64_t bh = 0; bh < B * H; ++bh) {
    const int64_t b = bh / H, h = bh % H;
    T* kT = scratch.slot(omp_get_thread_num());
    T* vT = kT + K * Tp;
    T* dkT = vT + K * Tp;
    T* dvT = dkT + K * Tp;
    T* g = dvT + K * Tp;  // kRows rows of dpattern, then dscores (zero-padded)
    const T* base = qkv + b * Tn * stride;
    T* dbase = dqkv + b * Tn * stride;
    const T* pattern_bh = pattern + bh * Tn * Tn;
    const T* dz_b = dz + b * Tn * H * K;
    transpose_in(base + H * K + h * K, stride, Tn, Tp, K, kT);
    transpose_in(base + 2 * H * K + h * K, stride, Tn, Tp, K, vT);
    std::fill(dkT, dkT + 2 * K * Tp, T(0));
    int64_t i = 0;
    for (; i + kRows <= Tn; i += kRows)
      backward_rows<kRows>(i, pattern_bh, dz_b, base, dbase, Tn, Tp, stride, h, H, K, kT, vT, dkT, dvT, g);
    for (; i < Tn; ++i)
      backward_rows<1>(i, pattern_bh, dz_b, base, dbase, Tn, Tp, stride, h, H, K, kT, vT, dkT, dvT, g);
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
