#include "model/ops/attention.h"

#include "core/parallel.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>
#include <utility>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "core/error.h"
#include "core/fast_exp.h"

namespace cs {

namespace {
// Explicit 64-byte vectors (one AVX-512 register; two AVX2 ones): the micro-kernels below keep
// their accumulators in registers instead of storing and reloading a row per step.
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

// Lane reductions as a tree of shuffles: log2(lanes) dependent steps instead of one per lane.
inline Vec<float> fold(Vec<float> v, Vec<float> (*op)(Vec<float>, Vec<float>)) {
  v = op(v, __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7));
  v = op(v, __builtin_shufflevector(v, v, 4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11));
  v = op(v, __builtin_shufflevector(v, v, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13));
  return op(v, __builtin_shufflevector(v, v, 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14));
}
inline Vec<double> fold(Vec<double> v, Vec<double> (*op)(Vec<double>, Vec<double>)) {
  v = op(v, __builtin_shufflevector(v, v, 4, 5, 6, 7, 0, 1, 2, 3));
  v = op(v, __builtin_shufflevector(v, v, 2, 3, 0, 1, 6, 7, 4, 5));
  return op(v, __builtin_shufflevector(v, v, 1, 0, 3, 2, 5, 4, 7, 6));
}
template <class T>
inline T hsum(Vec<T> v) {
  return fold(v, [](Vec<T> a, Vec<T> b) { return a + b; })[0];
}
template <class T>
inline T hmax(Vec<T> v) {
  return fold(v, [](Vec<T> a, Vec<T> b) { return a > b ? a : b; })[0];
}

// The position of each lane within its vector, to mask a row's ragged end.
template <class T>
inline Vec<T> lane_index() {
  Vec<T> v;
  for (int64_t k = 0; k < kLanes<T>; ++k) v[k] = T(k);
  return v;
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

// Query rows are taken kRows at a time, so that each load of a key or value vector serves kRows
// rows: at d_head 16 one row alone does one multiply-add per load and waits on memory. (Eight
// rows measured about 6% faster than four on the demo model's training step.)
constexpr int64_t kRows = 8;
// Key positions are padded to whole pairs of vectors (the dpattern kernel's width), head slots to
// whole vectors; the padding is zero and contributes nothing.
constexpr int64_t kKeyPad = 32;
int64_t round_up(int64_t n, int64_t m) { return (n + m - 1) / m * m; }
template <class T>
int64_t padded_head(int64_t K) { return round_up(K, kLanes<T>); }

// dst[0..K) = src[0..K) * scale in whole vectors where it can: a call to memmove per head row
// costs more than the copy at d_head 16.
template <class T>
void copy_head(const T* src, int64_t K, T* dst, T scale = T(1)) {
  constexpr int64_t L = kLanes<T>;
  int64_t d = 0;
  for (; d + L <= K; d += L) store(dst + d, load(src + d) * scale);
  for (; d < K; ++d) dst[d] = src[d] * scale;
}

// One head's slot of every position, as rows [Tn, Kp] times `scale`, zero past K.
template <class T>
void rows_in(const T* base, int64_t stride, int64_t Tn, int64_t K, int64_t Kp, T scale, T* dst) {
  for (int64_t j = 0; j < Tn; ++j) {
    // Positions lie a whole row of heads apart: a stride the hardware prefetcher misses.
    __builtin_prefetch(base + (j + 8) * stride);
    copy_head(base + j * stride, K, dst + j * Kp, scale);
    std::fill(dst + j * Kp + K, dst + (j + 1) * Kp, T(0));
  }
}

// Rows [i, i+n) of one head's slot into the L2 cache, ahead of their gather: the next (batch,
// head) fetches its rows while this one computes, instead of waiting on each in turn.
template <class T>
void fetch_rows(const T* base, int64_t stride, int64_t i, int64_t n, int64_t K) {
  for (int64_t j = i; j < i + n; ++j) {
    __builtin_prefetch(base + j * stride, 0, 2);
    __builtin_prefetch(base + j * stride + K - 1, 0, 2);  // a slot may straddle two lines
  }
}

// Rows i and i+B of a 16 x 16 block, as they stand after bit B of the row and column indices
// is swapped: the low row takes the high row's elements at columns with bit B set, and the high
// row the low row's at columns with it clear.
template <int B, size_t... C>
void swap_index_bit(Vec<float>& lo, Vec<float>& hi, std::index_sequence<C...>) {
  const Vec<float> a = lo, b = hi;
  lo = __builtin_shufflevector(a, b, ((C & B) ? 16 + C - B : C)...);
  hi = __builtin_shufflevector(a, b, ((C & B) ? 16 + C : C + B)...);
}
template <int B>
void swap_index_bit(Vec<float>* r) {
  for (int i = 0; i < 16; ++i)
    if (!(i & B)) swap_index_bit<B>(r[i], r[i + B], std::make_index_sequence<16>{});
}

// dst[d * ldd + j] = src[j * lds + d] for a 16 x 16 block, in registers: swapping each bit of
// the row and column indices in turn transposes it, 64 shuffles against 256 scalar moves.
inline void transpose16(const float* src, int64_t lds, float* dst, int64_t ldd) {
  Vec<float> r[16];
  for (int i = 0; i < 16; ++i) r[i] = load(src + i * lds);
  swap_index_bit<1>(r);
  swap_index_bit<2>(r);
  swap_index_bit<4>(r);
  swap_index_bit<8>(r);
  for (int i = 0; i < 16; ++i) store(dst + i * ldd, r[i]);
}

// The same slot transposed, [Kp, Tp], zero past Tn and past K.
template <class T>
void cols_in(const T* base, int64_t stride, int64_t Tn, int64_t Tp, int64_t K, int64_t Kp, T* dst) {
  int64_t j0 = 0;
  if constexpr (std::is_same_v<T, float>)
    if (K % 16 == 0)
      for (; j0 + 16 <= Tn; j0 += 16)
        for (int64_t d0 = 0; d0 < K; d0 += 16) transpose16(base + j0 * stride + d0, stride, dst + d0 * Tp + j0, Tp);
  for (int64_t d = 0; d < K; ++d) {
    for (int64_t j = j0; j < Tn; ++j) dst[d * Tp + j] = base[j * stride + d];
    std::fill(dst + d * Tp + Tn, dst + (d + 1) * Tp, T(0));
  }
  std::fill(dst + K * Tp, dst + Kp * Tp, T(0));
}

// For R rows a (stride lda) and the columns j in [0, n) of bT [Kp, Tp], n a multiple of V
// vectors: finish(r, j0, a_r . b_{j0 .. j0+L}) for each vector of columns. Scores (a = scaled q,
// bT = k^T) and dpattern (a = dz, bT = v^T, finished into dscores at once). V vectors of columns
// per pass: two serve the backward best, whose finish is light; the forward's finish keeps a
// running maximum per row as well, and with one vector its accumulators stay in registers
// (measured on the demo model: one vector makes the forward about 9% faster, the backward 7% slower).
template <int R, int V, class T, class Finish>
void rows_dot_cols(const T* a, int64_t lda, const T* bT, int64_t Tp, int64_t Kp, int64_t n,
                   Finish finish) {
  static_assert(V == 1 || V == 2);
  constexpr int64_t L = kLanes<T>;
  for (int64_t j0 = 0; j0 < n; j0 += V * L) {
    Vec<T> acc[R][V];
    for (int r = 0; r < R; ++r) {
      acc[r][0] = Vec<T>{};
      if constexpr (V == 2) acc[r][1] = Vec<T>{};
    }
    for (int64_t d = 0; d < Kp; ++d) {
      const Vec<T> b0 = load(bT + d * Tp + j0);
      const Vec<T> b1 = V == 2 ? load(bT + d * Tp + j0 + L) : Vec<T>{};
      for (int r = 0; r < R; ++r) {
        const T x = a[r * lda + d];
        acc[r][0] += x * b0;
        if constexpr (V == 2) acc[r][1] += x * b1;
      }
    }
    for (int r = 0; r < R; ++r) {
      finish(r, j0, acc[r][0]);
      if constexpr (V == 2) finish(r, j0 + L, acc[r][1]);
    }
  }
}

// out_r = sum_{j<n} w[r][j] rows_j for R rows of weights (stride ldw) and rows [., Kp]:
// z = pattern v, and dq = dscores k.
template <int R, class T>
void weighted_rows(const T* w, int64_t ldw, const T* rows, int64_t Kp, int64_t n, T* out) {
  constexpr int64_t L = kLanes<T>;
  for (int64_t c = 0; c < Kp; c += L) {
    // Two accumulators per row: one chain of dependent adds would wait on each add's latency.
    Vec<T> acc[R][2];
    for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = Vec<T>{};
    int64_t j = 0;
    for (; j + 2 <= n; j += 2) {
      const Vec<T> v0 = load(rows + j * Kp + c), v1 = load(rows + (j + 1) * Kp + c);
      for (int r = 0; r < R; ++r) {
        acc[r][0] += w[r * ldw + j] * v0;
        acc[r][1] += w[r * ldw + j + 1] * v1;
      }
    }
    if (j < n) {
      const Vec<T> v0 = load(rows + j * Kp + c);
      for (int r = 0; r < R; ++r) acc[r][0] += w[r * ldw + j] * v0;
    }
    for (int r = 0; r < R; ++r) store(out + r * Kp + c, acc[r][0] + acc[r][1]);
  }
}

// rows_j += sum_r w[r][j] x_r for j < n: dk += dscores^T q and dv += pattern^T dz, the R rows'
// shares added in one pass over the rows.
template <int R, class T>
void add_weighted(const T* w, int64_t ldw, const T* x, int64_t Kp, int64_t n, T* rows) {
  constexpr int64_t L = kLanes<T>;
  for (int64_t c = 0; c < Kp; c += L) {
    Vec<T> xr[R];
    for (int r = 0; r < R; ++r) xr[r] = load(x + r * Kp + c);
    for (int64_t j = 0; j < n; ++j) {
      Vec<T> acc = load(rows + j * Kp + c);
      for (int r = 0; r < R; ++r) acc += w[r * ldw + j] * xr[r];
      store(rows + j * Kp + c, acc);
    }
  }
}

// s[0..n) = exp(s - mx), s[n..padded_n) = 0; returns the sum. Only the vector holding the
// row's end needs a mask; the vectors past it are zeroed without an exp.
inline float exp_row(float* s, int64_t n, int64_t padded_n, float mx) {
  const Vec16f lanes = lane_index<float>();
  Vec16f sum = {};
  int64_t j0 = 0;
  for (; j0 + 16 <= n; j0 += 16) {
    const Vec16f e = fast_exp(load(s + j0) - mx);
    store(s + j0, e);
    sum += e;
  }
  if (j0 < n) {
    Vec16f e = fast_exp(load(s + j0) - mx);
    e = lanes < float(n - j0) ? e : Vec16f{};
    store(s + j0, e);
    sum += e;
    j0 += 16;
  }
  for (; j0 < padded_n; j0 += 16) store(s + j0, Vec16f{});
  return hsum<float>(sum);
}

inline double exp_row(double* s, int64_t n, int64_t padded_n, double mx) {
  double sum = 0;
  for (int64_t j = 0; j < n; ++j) {
    s[j] = std::exp(s[j] - mx);
    sum += s[j];
  }
  std::fill(s + n, s + padded_n, 0.0);
  return sum;
}

// s[0..n) *= scale (the softmax's normalization) and the row's pattern p[0..n) = s, in one pass.
// Past n the pattern stays zero, as the caller allocated it; s is zero from n to the end of its
// vector and p[n..room) is the row's masked half.
template <class T>
void finish_row(T* s, int64_t n, T scale, T* p, int64_t room) {
  for (int64_t j = 0; j < n; ++j) p[j] = s[j] = s[j] * scale;
}
#if defined(__AVX512F__)
// Float pattern rows go out with streaming stores, whole aligned lines that skip the caches: a
// training step writes megabytes of them per layer, far more than the caches hold, and an
// ordinary store to a line not in the cache first reads it in. (The backward prefetches them.)
// A row's last line goes out whole too when the row has room, for the same reason.
inline void finish_row(float* s, int64_t n, float scale, float* p, int64_t room) {
  const __m512 k = _mm512_set1_ps(scale);
  const auto scaled = [&](int64_t j) {
    const __m512 v = _mm512_mul_ps(_mm512_loadu_ps(s + j), k);
    _mm512_storeu_ps(s + j, v);
    return v;
  };
  const auto scaled_part = [&](int64_t j, __mmask16 m) {
    const __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, s + j), k);
    _mm512_mask_storeu_ps(s + j, m, v);
    return v;
  };
  const int64_t head = std::min<int64_t>(n, int64_t((64 - reinterpret_cast<uintptr_t>(p) % 64) % 64 / 4));
  const __mmask16 head_mask = __mmask16((1u << head) - 1);
  _mm512_mask_storeu_ps(p, head_mask, scaled_part(0, head_mask));
  int64_t j = head;
  for (; j + 16 <= n; j += 16) _mm512_stream_ps(p + j, scaled(j));
  if (j == n) return;
  if (head == 0 && j + 16 <= room) {  // (after a head, s's zeros would not cover the vector)
    _mm512_stream_ps(p + j, scaled(j));
  } else {
    const __mmask16 tail_mask = __mmask16((1u << (n - j)) - 1);
    _mm512_mask_storeu_ps(p + j, tail_mask, scaled_part(j, tail_mask));
  }
}
// Streaming stores are ordered with later ones only after a fence.
inline void write_rows_done() { _mm_sfence(); }
#else
inline void write_rows_done() {}
#endif

// Where (batch, head) bh's slot starts in a [B, T, ..., H, K] tensor whose positions lie `stride`
// apart (qkv, z, dz).
template <class T>
T* head_slot(T* p, int64_t bh, int64_t H, int64_t Tn, int64_t stride, int64_t K) {
  return p + bh / H * Tn * stride + bh % H * K;
}

template <class T>
void check_threads(const AttentionScratch<T>& s) {
  CS_CHECK(omp_get_max_threads() <= s.threads,
           "thread count " << omp_get_max_threads() << " exceeds the attention scratch sized for "
                           << s.threads << "; set threads before building activations");
}

// One thread's working set for one (batch, head): six blocks of [Tp, Kp] (rows or transposed
// copies of q, k, v, dz, and the dk, dv sums), then kRows rows of scores and kRows head rows.
template <class T>
struct HeadBuffers {
  int64_t Tp, Kp;
  T *a, *b, *c, *d, *e, *f, *rows, *out;
  HeadBuffers(T* slot, int64_t Tn, int64_t K)
      : Tp(round_up(Tn, kKeyPad)), Kp(padded_head<T>(K)) {
    T* p[6];
    for (int i = 0; i < 6; ++i) p[i] = slot + i * Tp * Kp;
    a = p[0], b = p[1], c = p[2], d = p[3], e = p[4], f = p[5];
    rows = slot + 6 * Tp * Kp;
    out = rows + kRows * Tp;
  }
};

// Rows i0 .. i0+R-1 of one (batch, head)'s forward: scores against keys 0 .. i0+R-1, softmax
// (or the frozen pattern), the pattern rows, and z.
template <int R, class T>
void forward_rows(int64_t i0, int64_t Tn, const HeadBuffers<T>& hb, const T* frozen_bh,
                  T* pattern_bh, T* z_rows, int64_t z_stride, int64_t K) {
  constexpr int64_t L = kLanes<T>;
  const int64_t n = i0 + R, n_used = round_up(n, L);
  const int64_t Tp = hb.Tp, Kp = hb.Kp;
  T* s = hb.rows;
  // Each row's maximum is taken as its scores leave the registers, the keys past the row's own
  // position left out: a separate pass would read every score again.
  const Vec<T> lanes = lane_index<T>(), lowest = Vec<T>{} - std::numeric_limits<T>::infinity();
  Vec<T> mx[R];
  for (int r = 0; r < R; ++r) mx[r] = lowest;
  if (!frozen_bh)
    rows_dot_cols<R, 1>(hb.a + i0 * Kp, Kp, hb.b, Tp, Kp, n_used, [&](int r, int64_t j0, Vec<T> scores) {
      store(s + r * Tp + j0, scores);
      if (j0 + L > i0 + r + 1) scores = lanes + T(j0) < T(i0 + r + 1) ? scores : lowest;
      mx[r] = scores > mx[r] ? scores : mx[r];
    });
  for (int r = 0; r < R; ++r) {
    const int64_t i = i0 + r;
    T* sr = s + r * Tp;
    T norm = 1;
    if (frozen_bh) {
      std::copy(frozen_bh + i * Tn, frozen_bh + i * Tn + i + 1, sr);
      std::fill(sr + i + 1, sr + n_used, T(0));
    } else {
      norm = T(1) / exp_row(sr, i + 1, n_used, hmax<T>(mx[r]));
    }
    finish_row(sr, i + 1, norm, pattern_bh + i * Tn, Tn);
  }
  weighted_rows<R>(s, Tp, hb.c, Kp, n, hb.out);
  for (int r = 0; r < R; ++r) copy_head(hb.out + r * Kp, K, z_rows + (i0 + r) * z_stride);
}

// Rows i0 .. i0+R-1 of one (batch, head)'s backward: dpattern, the softmax backward, dq, and
// their shares of dk and dv.
template <int R, class T>
void backward_rows(int64_t i0, int64_t Tn, const HeadBuffers<T>& hb, const T* pattern_bh,
                   const T* z_rows, int64_t z_stride, T* dq_rows, int64_t dq_stride, int64_t K) {
  const int64_t n = i0 + R, n_pad = round_up(n, 2 * kLanes<T>);
  const int64_t Tp = hb.Tp, Kp = hb.Kp;
  const T scale = T(1) / std::sqrt(T(K));
  const T* p = pattern_bh + i0 * Tn;  // zero past each row's own position
  T* g = hb.rows;
  // softmax backward: dS = P (dP - sum_j P dP), then the 1/sqrt(K) scale. The row's
  // sum_j P dP = sum_j P (dz . v_j) = dz . z: a dot over the head, not over the row.
  T rowdot[R];
  for (int r = 0; r < R; ++r) rowdot[r] = dot(z_rows + (i0 + r) * z_stride, hb.d + (i0 + r) * Kp, K);
  // dP = dz v^T is finished into dS while it is in registers: the pattern is read once, beside
  // the products, instead of in a pass of its own.
  rows_dot_cols<R, 2>(hb.d + i0 * Kp, Kp, hb.b, Tp, Kp, n_pad, [&](int r, int64_t j0, Vec<T> dp) {
    T* gr = g + r * Tp + j0;
    if (j0 > i0 + r) {
      store(gr, Vec<T>{});
    } else if (j0 + kLanes<T> <= Tn) {
      // The pattern comes from memory (the forward wrote every head's since): fetch the next
      // block's row while this one computes.
      if (i0 + R + r < Tn) __builtin_prefetch(p + (R + r) * Tn + j0);
      store(gr, load(p + r * Tn + j0) * (dp - rowdot[r]) * scale);
    } else {  // a vector past the row's end (Tn not a whole number of vectors)
      for (int64_t k = 0; k < kLanes<T>; ++k) gr[k] = j0 + k < Tn ? p[r * Tn + j0 + k] * (dp[k] - rowdot[r]) * scale : T(0);
    }
  });
  weighted_rows<R>(g, Tp, hb.c, Kp, n, hb.out);  // dq = dS k
  for (int r = 0; r < R; ++r) copy_head(hb.out + r * Kp, K, dq_rows + (i0 + r) * dq_stride);
  add_weighted<R>(g, Tp, hb.a + i0 * Kp, Kp, n, hb.e);  // dk += dS^T q
  add_weighted<R>(p, Tn, hb.d + i0 * Kp, Kp, n, hb.f);  // dv += P^T dz
}

}  // namespace

template <class T>
AttentionScratch<T>::AttentionScratch(int64_t Tn, int64_t K)
    : per_thread(6 * round_up(Tn, kKeyPad) * padded_head<T>(K) + kRows * (round_up(Tn, kKeyPad) + padded_head<T>(K))),
      threads(std::max(omp_get_max_threads(), omp_get_num_procs())),
      buf(per_thread * threads) {}

template <class T>
void attention_forward(const T* qkv, T* pattern, T* z, const T* frozen, int64_t B, int64_t Tn,
                       int64_t H, int64_t K, AttentionScratch<T>& scratch) {
  check_threads(scratch);
  const int64_t stride = 3 * H * K;
#pragma omp parallel for schedule(dynamic, 1) if (B * H * Tn * Tn * K > kParallelWork)
  for (int64_t bh = 0; bh < B * H; ++bh) {
    // a: q / sqrt(K) as rows, b: k transposed, c: v as rows
    const HeadBuffers<T> hb(scratch.slot(omp_get_thread_num()), Tn, K);
    const T* base = head_slot(qkv, bh, H, Tn, stride, K);
    if (!frozen) {
      rows_in(base, stride, Tn, K, hb.Kp, T(1) / std::sqrt(T(K)), hb.a);
      cols_in(base + H * K, stride, Tn, hb.Tp, K, hb.Kp, hb.b);
    }
    rows_in(base + 2 * H * K, stride, Tn, K, hb.Kp, T(1), hb.c);
    const T* frozen_bh = frozen ? frozen + bh * Tn * Tn : nullptr;
    T* pattern_bh = pattern + bh * Tn * Tn;
    T* z_rows = head_slot(z, bh, H, Tn, H * K, K);
    const T* next = bh + 1 < B * H ? head_slot(qkv, bh + 1, H, Tn, stride, K) : nullptr;
    int64_t i = 0;
    for (; i + kRows <= Tn; i += kRows) {
      if (next)
        for (int slot = frozen ? 2 : 0; slot < 3; ++slot) fetch_rows(next + slot * H * K, stride, i, kRows, K);
      forward_rows<kRows>(i, Tn, hb, frozen_bh, pattern_bh, z_rows, H * K, K);
    }
    for (; i < Tn; ++i) forward_rows<1>(i, Tn, hb, frozen_bh, pattern_bh, z_rows, H * K, K);
    write_rows_done();
  }
}

template <class T>
void attention_backward(const T* qkv, const T* pattern, const T* z, const T* dz, T* dqkv, int64_t B,
                        int64_t Tn, int64_t H, int64_t K, AttentionScratch<T>& scratch) {
  check_threads(scratch);
  const int64_t stride = 3 * H * K;
#pragma omp parallel for schedule(dynamic, 1) if (B * H * Tn * Tn * K > kParallelWork)
  for (int64_t bh = 0; bh < B * H; ++bh) {
    // a: q as rows, b: v transposed, c: k as rows, d: dz as rows, e and f: dk and dv as rows
    const HeadBuffers<T> hb(scratch.slot(omp_get_thread_num()), Tn, K);
    const int64_t Kp = hb.Kp;
    const T* base = head_slot(qkv, bh, H, Tn, stride, K);
    T* dbase = head_slot(dqkv, bh, H, Tn, stride, K);
    const T* pattern_bh = pattern + bh * Tn * Tn;
    rows_in(base, stride, Tn, K, Kp, T(1), hb.a);
    cols_in(base + 2 * H * K, stride, Tn, hb.Tp, K, Kp, hb.b);
    rows_in(base + H * K, stride, Tn, K, Kp, T(1), hb.c);
    rows_in(head_slot(dz, bh, H, Tn, H * K, K), H * K, Tn, K, Kp, T(1), hb.d);
    std::fill(hb.e, hb.e + 2 * hb.Tp * Kp, T(0));  // e and f are adjacent
    int64_t i = 0;
    const T* z_rows = head_slot(z, bh, H, Tn, H * K, K);
    const T* next = bh + 1 < B * H ? head_slot(qkv, bh + 1, H, Tn, stride, K) : nullptr;
    const T* next_dz = bh + 1 < B * H ? head_slot(dz, bh + 1, H, Tn, H * K, K) : nullptr;
    const T* next_z = bh + 1 < B * H ? head_slot(z, bh + 1, H, Tn, H * K, K) : nullptr;
    for (; i + kRows <= Tn; i += kRows) {
      if (next) {
        for (int slot = 0; slot < 3; ++slot) fetch_rows(next + slot * H * K, stride, i, kRows, K);
        fetch_rows(next_dz, H * K, i, kRows, K);
        fetch_rows(next_z, H * K, i, kRows, K);
      }
      backward_rows<kRows>(i, Tn, hb, pattern_bh, z_rows, H * K, dbase, stride, K);
    }
    for (; i < Tn; ++i) backward_rows<1>(i, Tn, hb, pattern_bh, z_rows, H * K, dbase, stride, K);
    for (int64_t j = 0; j < Tn; ++j) {
      copy_head(hb.e + j * Kp, K, dbase + j * stride + H * K);
      copy_head(hb.f + j * Kp, K, dbase + j * stride + 2 * H * K);
    }
  }
}

template struct AttentionScratch<float>;
template struct AttentionScratch<double>;
template void attention_forward<float>(const float*, float*, float*, const float*, int64_t,
                                       int64_t, int64_t, int64_t, AttentionScratch<float>&);
template void attention_forward<double>(const double*, double*, double*, const double*, int64_t,
                                        int64_t, int64_t, int64_t, AttentionScratch<double>&);
template void attention_backward<float>(const float*, const float*, const float*, const float*,
                                        float*, int64_t, int64_t, int64_t, int64_t,
                                        AttentionScratch<float>&);
template void attention_backward<double>(const double*, const double*, const double*,
                                         const double*, double*, int64_t, int64_t, int64_t, int64_t,
                                         AttentionScratch<double>&);

}  // namespace cs
