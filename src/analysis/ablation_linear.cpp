// The fast pattern-preserving ablation path (declared in ablation.h). With patterns frozen, the
// final stream is linear in each head's result r^h, so ablating h subtracts a fixed vector per
// row: r^h itself plus its paths through later heads (A^{h'} r^h W_OV^{h'} ...). One clean pass
// per chunk of sequences gives every z and pattern needed; the last layer is computed at the ICL
// window rows only, and only they get logits. The logits dominate the cost (one d_model-wide
// product per head, row and vocabulary entry), so everything else is arranged to stay small
// beside them.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <exception>

#include "analysis/ablation.h"
#include "analysis/ablation_windows.h"
#include "analysis/logit_variants.h"
#include "analysis/row_loss.h"
#include "core/error.h"
#include "core/parallel.h"
#include "core/gemm.h"
#include "model/ops/embed.h"
#include "model/ops/projections.h"
#include "model/ops/rotary.h"

namespace cs::analysis {

namespace {

using detail::WindowRows;

constexpr int64_t kTile = 64;  // query rows per score block: bounds the causal waste and scratch

// Maximal runs of consecutive positions, cut into tiles: (first position, first output row, rows).
struct Tile {
  int64_t pos, out, n;
};
std::vector<Tile> tiles_of(const std::vector<int64_t>& pos) {
  std::vector<Tile> t;
  for (int64_t r = 0; r < int64_t(pos.size());) {
    int64_t n = 1;
    while (r + n < int64_t(pos.size()) && n < kTile && pos[size_t(r + n)] == pos[size_t(r)] + n) ++n;
    t.push_back({pos[size_t(r)], r, n});
    r += n;
  }
  return t;
}

std::vector<int64_t> positions_upto(int64_t n) {
  std::vector<int64_t> p(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) p[size_t(i)] = i;
  return p;
}

// Grows a buffer without clearing it: every user overwrites what it reads.
template <class T>
T* room(std::vector<T>& v, int64_t n) {
  if (int64_t(v.size()) < n) v.resize(size_t(n));
  return v.data();
}

// Weights prepared once per snapshot, shared read-only by every chunk.
template <class T>
struct Prepared {
  const Params<T>& p;
  int L = 0;
  int64_t D = 0, H = 0, K = 0, HK = 0, V = 0;
  Positions positions = Positions::standard;
  std::vector<std::vector<T>> packed;  // L x [D, 3HK]
  // Layer 0's q, k, v read the embedding, so they are rows of token and position tables:
  // table0 = W_E packed_0 [V, 3HK]; pos0 = W_pos packed_0 [n_ctx, 3HK] (the v part zero for
  // shortformer; empty for rotary). Used when the vocabulary is smaller than the rows to project.
  bool use_tables = false;
  std::vector<T> table0, pos0;
  std::vector<T> OU;  // [HK, V]: W_O^{L-1,h} W_U stacked over h
  std::vector<T> M;   // [HK, HK]: W_O^{L-2,h} W_V^{L-1}; block (h, h') is M^{h,h'} [K, K]
  RotaryTable<T> rotary;

  const T* W_O(int l) const { return p["blocks." + std::to_string(l) + ".attn.W_O"]; }  // [HK, D]
  const T* W_U() const { return p["unembed.W_U"]; }
  const T* W_V(int l) const { return packed[size_t(l)].data() + 2 * HK; }  // ld 3HK

  Prepared(const Params<T>& params, int64_t rows) : p(params) {
    const Config& c = p.cfg;
    L = c.n_layers;
    D = c.d_model;
    H = c.n_heads;
    K = c.d_head;
    HK = H * K;
    V = c.d_vocab;
    positions = c.positional_embedding_type;
    for (int l = 0; l < L; ++l) {
      const std::string b = "blocks." + std::to_string(l) + ".attn.";
      packed.emplace_back(size_t(D * 3 * HK));
      pack_qkv(p[b + "W_Q"], p[b + "W_K"], p[b + "W_V"], packed.back().data(), H, D, K);
    }
    use_tables = V < rows;
    if (use_tables) {
      table0.resize(size_t(V * 3 * HK));
      gemm<T>(false, false, V, 3 * HK, D, T(1), p["embed.W_E"], D, packed[0].data(), 3 * HK, T(0),
              table0.data(), 3 * HK);
      if (positions != Positions::rotary) {
        pos0.assign(size_t(int64_t(c.n_ctx) * 3 * HK), T(0));
        const int64_t cols = positions == Positions::shortformer ? 2 * HK : 3 * HK;
        gemm<T>(false, false, c.n_ctx, cols, D, T(1), p["pos_embed.W_pos"], D, packed[0].data(),
                3 * HK, T(0), pos0.data(), 3 * HK);
      }
    }
    OU.resize(size_t(HK * V));
    gemm<T>(false, false, HK, V, D, T(1), W_O(L - 1), D, W_U(), V, T(0), OU.data(), V);
    if (L >= 2) {
      M.resize(size_t(HK * HK));
      gemm<T>(false, false, HK, HK, D, T(1), W_O(L - 2), D, W_V(L - 1), 3 * HK, T(0), M.data(), HK);
    }
    if (positions == Positions::rotary) rotary = RotaryTable<T>(c.n_ctx, K, c.rotary_base);
  }
};

// Causal attention of the query rows `pos` (ascending) against keys 0 .. pos: z_out [c, n, HK],
// pattern_out (optional) [c, H, n, Te].
template <class T>
void attend(const T* qkv, int64_t c, int64_t Te, int64_t H, int64_t K,
            const std::vector<int64_t>& pos, T* z_out, T* pattern_out, std::vector<T>& scratch) {
  const int64_t HK = H * K, W3 = 3 * HK, n = int64_t(pos.size());
  const T scale = T(1) / std::sqrt(T(K));
  const std::vector<Tile> tiles = tiles_of(pos);
  T* S = room(scratch, kTile * Te);
  T inv[kTile];
  for (int64_t b = 0; b < c; ++b) {
    const T* base = qkv + b * Te * W3;
    for (int64_t h = 0; h < H; ++h)
      for (const Tile& t : tiles) {
        const int64_t keys = t.pos + t.n;
        gemm<T>(false, true, t.n, keys, K, scale, base + t.pos * W3 + h * K, W3, base + HK + h * K,
                W3, T(0), S, keys);
        for (int64_t r = 0; r < t.n; ++r) {
          T* s = S + r * keys;
          const int64_t last = t.pos + r;  // keys after the query are masked
          T mx = s[0];
#pragma omp simd reduction(max : mx)
          for (int64_t j = 1; j <= last; ++j) mx = s[j] > mx ? s[j] : mx;
          T sum = 0;
#pragma omp simd reduction(+ : sum)
          for (int64_t j = 0; j <= last; ++j) {
            s[j] = exp_nonpositive(s[j] - mx);
            sum += s[j];
          }
          inv[r] = T(1) / sum;
          std::fill(s + last + 1, s + keys, T(0));
          if (pattern_out) {
            T* pr = pattern_out + ((b * H + h) * n + t.out + r) * Te;
            for (int64_t j = 0; j < keys; ++j) pr[j] = s[j] * inv[r];
            std::fill(pr + keys, pr + Te, T(0));
          }
        }
        // Unnormalised weights times values, then each row's 1/sum: d_head products per row
        // instead of one per key.
        T* z = z_out + (b * n + t.out) * HK + h * K;
        gemm<T>(false, false, t.n, K, keys, T(1), S, keys, base + 2 * HK + h * K, W3, T(0), z, HK);
        for (int64_t r = 0; r < t.n; ++r)
          for (int64_t k = 0; k < K; ++k) z[r * HK + k] *= inv[r];
      }
  }
}

// out[b, r, h, :] = sum_j pattern[b, h, r, j] v[b, j, h-th block of width w] for the rows `pos`
// the pattern was stored for: the frozen attention applied to other values. v rows are ldv
// apart; head h reads columns h * w .. (h + 1) * w, or all `w` columns when shared.
template <class T>
void apply_pattern(const T* pattern, const std::vector<int64_t>& pos, const T* v, int64_t ldv,
                   int64_t w, bool shared, int64_t c, int64_t Te, int64_t H, T* out, int64_t ldo) {
  const int64_t n = int64_t(pos.size());
  const std::vector<Tile> tiles = tiles_of(pos);
  for (int64_t b = 0; b < c; ++b)
    for (int64_t h = 0; h < H; ++h)
      for (const Tile& t : tiles)
        gemm<T>(false, false, t.n, w, t.pos + t.n, T(1), pattern + ((b * H + h) * n + t.out) * Te, Te,
                v + b * Te * ldv + (shared ? 0 : h * w), ldv, T(0),
                out + (b * n + t.out) * ldo + h * w, ldo);
}

template <class T>
void gather_rows(const T* src, int64_t c, int64_t Te, int64_t width, const WindowRows& rows, T* dst) {
  const int64_t nw = rows.size();
  for (int64_t b = 0; b < c; ++b)
    for (int64_t r = 0; r < nw; ++r)
      std::copy_n(src + (b * Te + rows.pos[size_t(r)]) * width, width, dst + (b * nw + r) * width);
}

// One thread's buffers, reused by every chunk it runs.
template <class T>
struct Workspace {
  std::vector<T> x, qk, qkv, qw, S;
  std::vector<std::vector<T>> z;        // l < L-1: [c*Te, HK]; L-1: [c*nw, HK] (window rows)
  std::vector<std::vector<T>> pattern;  // 1 <= l < L-1: [c, H, Te, Te]; L-1: [c, H, nw, Te]
  std::vector<T> stream;                // clean final stream at the window rows [c*nw, D]
  std::vector<T> zw;                    // layer L-2's z at the window rows [c*nw, HK]
  std::vector<T> Y;                     // [H, c*nw, HK]: A^{L-1,h'} z^{L-2} at the window rows
  std::vector<T> dz, ablated, d, dv, dza, dw;
  std::vector<int32_t> inputs, targets;
  std::vector<double> losses;
};

template <class T>
void clean_pass(const Prepared<T>& w, int64_t c, const WindowRows& rows, Workspace<T>& ws) {
  const Config& cfg = w.p.cfg;
  const int L = w.L;
  const int64_t D = w.D, H = w.H, K = w.K, HK = w.HK, W3 = 3 * HK, Te = rows.seq_len, R = c * Te,
                nw = rows.size(), nr = c * nw;
  const std::vector<int64_t> all = positions_upto(Te);
  const T* W_pos = cfg.has_pos_embed() ? w.p["pos_embed.W_pos"] : nullptr;
  const bool shortformer = w.positions == Positions::shortformer;
  T* x = room(ws.x, R * D);
  T* qkv = room(ws.qkv, R * W3);
  embed_forward(ws.inputs.data(), w.p["embed.W_E"], w.positions == Positions::standard ? W_pos : nullptr,
                x, c, Te, D);
  ws.z.resize(size_t(L));
  ws.pattern.resize(size_t(L));
  for (int l = 0; l < L; ++l) {
    const bool last = l == L - 1;
    const T* qk_in = x;
    if (l == 0 && w.use_tables) {
      for (int64_t r = 0; r < R; ++r) {
        const T* e = w.table0.data() + int64_t(ws.inputs[size_t(r)]) * W3;
        T* o = qkv + r * W3;
        if (w.pos0.empty()) {
          std::copy_n(e, W3, o);
        } else {
          const T* q = w.pos0.data() + (r % Te) * W3;
          for (int64_t k = 0; k < W3; ++k) o[k] = e[k] + q[k];
        }
      }
    } else {
      if (shortformer) {
        add_positions_forward(x, W_pos, room(ws.qk, R * D), c, Te, D);
        qk_in = ws.qk.data();
      }
      const T* packed = w.packed[size_t(l)].data();
      if (!last) {
        qkv_forward(qk_in, x, packed, qkv, R, D, HK);
      } else {
        // The last layer's queries are needed at the window rows only; keys and values everywhere.
        gemm<T>(false, false, R, HK, D, T(1), qk_in, D, packed + HK, W3, T(0), qkv + HK, W3);
        gemm<T>(false, false, R, HK, D, T(1), x, D, packed + 2 * HK, W3, T(0), qkv + 2 * HK, W3);
        T* qw = room(ws.qw, nr * D);
        gather_rows(qk_in, c, Te, D, rows, qw);
        T* q = room(ws.dz, nr * HK);
        gemm<T>(false, false, nr, HK, D, T(1), qw, D, packed, W3, T(0), q, HK);
        for (int64_t b = 0; b < c; ++b)
          for (int64_t r = 0; r < nw; ++r)
            std::copy_n(q + (b * nw + r) * HK, HK, qkv + (b * Te + rows.pos[size_t(r)]) * W3);
      }
    }
    if (w.positions == Positions::rotary) rotary_forward(qkv, w.rotary, c, Te, H, K);
    const std::vector<int64_t>& q = last ? rows.pos : all;
    const int64_t n = int64_t(q.size());
    T* z = room(ws.z[size_t(l)], c * n * HK);
    T* pat = l >= 1 ? room(ws.pattern[size_t(l)], c * H * n * Te) : nullptr;
    attend(qkv, c, Te, H, K, q, z, pat, ws.S);
    if (!last) {
      gemm<T>(false, false, R, D, HK, T(1), z, HK, w.W_O(l), D, T(1), x, D);
    } else {
      T* stream = room(ws.stream, nr * D);
      gather_rows(x, c, Te, D, rows, stream);
      gemm<T>(false, false, nr, D, HK, T(1), z, HK, w.W_O(l), D, T(1), stream, D);
    }
  }
  if (L >= 2) {
    // For the layer L-2 heads: the last layer's frozen attention applied to every layer L-2 z at
    // once (one product per later head), and their z at the window rows.
    gather_rows(ws.z[size_t(L - 2)].data(), c, Te, HK, rows, room(ws.zw, nr * HK));
    T* Y = room(ws.Y, H * nr * HK);
    for (int64_t hp = 0; hp < H; ++hp) {
      // apply_pattern with one head's pattern: slice it out by pointing at head hp's rows.
      const T* pat = ws.pattern[size_t(L - 1)].data();
      for (int64_t b = 0; b < c; ++b)
        apply_pattern(pat + (b * H + hp) * nw * Te, rows.pos, ws.z[size_t(L - 2)].data() + b * Te * HK,
                      HK, HK, true, 1, Te, 1, Y + hp * nr * HK + b * nw * HK, HK);
    }
  }
}

// The final stream at the window rows with head (l, h) removed, for l < L-1: its own term and
// its paths through every later layer, all with frozen patterns.
template <class T>
void ablated_stream(const Prepared<T>& w, int l, int64_t h, int64_t c, const WindowRows& rows,
                    Workspace<T>& ws, T* stream) {
  const int L = w.L;
  const int64_t D = w.D, H = w.H, K = w.K, HK = w.HK, Te = rows.seq_len, R = c * Te,
                nw = rows.size(), nr = c * nw;
  std::copy_n(ws.stream.data(), nr * D, stream);
  T* dz = room(ws.dz, nr * HK);
  if (l == L - 2) {
    // Through the last layer: head h' gets (A^{h'} z^h) M^{h,h'}, d_head wide throughout.
    for (int64_t hp = 0; hp < H; ++hp)
      gemm<T>(false, false, nr, K, K, T(1), ws.Y.data() + hp * nr * HK + h * K, HK,
              w.M.data() + h * K * HK + hp * K, HK, T(0), dz + hp * K, HK);
    gemm<T>(false, false, nr, D, K, T(-1), ws.zw.data() + h * K, HK, w.W_O(l) + h * K * D, D, T(1),
            stream, D);
  } else {
    // Deeper models: carry the head's change through every later layer at d_model width.
    T* d = room(ws.d, R * D);
    T* dv = room(ws.dv, R * HK);
    T* dza = room(ws.dza, R * HK);
    gemm<T>(false, false, R, D, K, T(1), ws.z[size_t(l)].data() + h * K, HK, w.W_O(l) + h * K * D, D,
            T(0), d, D);
    const std::vector<int64_t> all = positions_upto(Te);
    for (int lp = l + 1; lp < L - 1; ++lp) {
      gemm<T>(false, false, R, HK, D, T(1), d, D, w.W_V(lp), 3 * HK, T(0), dv, HK);
      apply_pattern(ws.pattern[size_t(lp)].data(), all, dv, HK, K, false, c, Te, H, dza, HK);
      gemm<T>(false, false, R, D, HK, T(1), dza, HK, w.W_O(lp), D, T(1), d, D);
    }
    gemm<T>(false, false, R, HK, D, T(1), d, D, w.W_V(L - 1), 3 * HK, T(0), dv, HK);
    apply_pattern(ws.pattern[size_t(L - 1)].data(), rows.pos, dv, HK, K, false, c, Te, H, dz, HK);
    T* dw = room(ws.dw, nr * D);
    gather_rows(d, c, Te, D, rows, dw);
    for (int64_t i = 0; i < nr * D; ++i) stream[i] -= dw[i];
  }
  gemm<T>(false, false, nr, D, HK, T(-1), dz, HK, w.W_O(L - 1), D, T(1), stream, D);
}

// Loss of every window row for the clean pass (variant 0) and each ablated head (1 + l H + h):
// the last layer's heads as the clean logits minus z^h (W_O^h W_U), a d_head-wide product.
template <class T>
void variant_losses(const Prepared<T>& w, int64_t nr, Workspace<T>& ws) {
  const int L = w.L;
  const int64_t D = w.D, H = w.H, K = w.K, HK = w.HK, V = w.V;
  const int64_t n_early = L >= 2 ? (L - 1) * H : 0;  // heads whose ablated stream is stored
  LogitVariants<T> v;
  v.stream = ws.stream.data();
  for (int64_t i = 0; i < n_early; ++i) v.streams.push_back(ws.ablated.data() + i * nr * D);
  for (int64_t h = 0; h < H; ++h)
    v.terms.push_back({ws.z[size_t(L - 1)].data() + h * K, HK, K, w.OU.data() + h * K * V});
  variant_row_losses(v, w.W_U(), D, V, ws.targets.data(), nr, room(ws.losses, v.count() * nr));
}

}  // namespace

template <class T>
HeadAblationIcl ablate_heads_icl_linear(const Params<T>& params, const std::vector<int32_t>& windows,
                                        int64_t n_eval, int64_t width,
                                        const IclPositions& positions, int batch) {
  const Config& c = params.cfg;
  CS_CHECK(!c.normalized(),
           "the linear ablation path needs a model without normalization (LayerNorm is not linear)");
  detail::check_eval_windows(c, windows, n_eval, width, positions);
  CS_CHECK(batch >= 1, "ablation batch must be at least 1, got " << batch);
  const WindowRows rows(positions);
  const Prepared<T> w(params, n_eval * rows.seq_len);
  const int L = c.n_layers;
  const int64_t H = c.n_heads, D = c.d_model, nw = rows.size();
  const int64_t n_chunks = (n_eval + batch - 1) / batch;
  detail::IclSums total(1 + L * H);
  FirstError error;
#pragma omp parallel if (!omp_in_parallel() && n_chunks > 1)
  {
    Workspace<T> ws;
    detail::IclSums sums(1 + L * H);
#pragma omp for schedule(dynamic, 1)
    for (int64_t k = 0; k < n_chunks; ++k) {
      try {
        const int64_t b0 = k * batch, nb = std::min<int64_t>(batch, n_eval - b0), nr = nb * nw;
        detail::chunk_tokens(windows, width, b0, nb, rows, ws.inputs, ws.targets);
        clean_pass(w, nb, rows, ws);
        T* ablated = room(ws.ablated, (L - 1) * H * nr * D);
        for (int l = 0; l + 1 < L; ++l)
          for (int64_t h = 0; h < H; ++h)
            ablated_stream(w, l, h, nb, rows, ws, ablated + (l * H + h) * nr * D);
        variant_losses(w, nr, ws);
        for (int64_t v = 0; v < 1 + L * H; ++v)
          detail::add_window_means(ws.losses.data() + v * nr, nb, rows, sums.early[size_t(v)],
                                   sums.late[size_t(v)]);
      } catch (...) {
        error.capture();
      }
    }
#pragma omp critical(cs_ablation_linear)
    total.merge(sums);
  }
  error.rethrow();
  return total.result(c, n_eval, AblationKind::pattern_preserving);
}

template HeadAblationIcl ablate_heads_icl_linear<float>(const Params<float>&,
                                                        const std::vector<int32_t>&, int64_t,
                                                        int64_t, const IclPositions&, int);
template HeadAblationIcl ablate_heads_icl_linear<double>(const Params<double>&,
                                                         const std::vector<int32_t>&, int64_t,
                                                         int64_t, const IclPositions&, int);

}  // namespace cs::analysis
