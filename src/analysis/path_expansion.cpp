#include "analysis/path_expansion.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <utility>

#include "core/error.h"
#include "analysis/logit_variants.h"
#include "core/gemm.h"
#include "model/forward.h"
#include "model/ops/unembed.h"

namespace cs::analysis {

namespace {

// Sums of per-batch mean losses weighted by rows, so batches of different sizes average right.
struct LossSum {
  double sum = 0;
  int64_t rows = 0;
  void add(double mean, int64_t n) {
    sum += mean * double(n);
    rows += n;
  }
  double mean() const { return rows ? sum / double(rows) : 0.0; }
};

// The direct path's mean loss when the layer-0 stream is the token embedding alone (positions
// that do not add W_pos to it): a row's logits then depend only on its token, so each distinct
// token of all the sequences is unembedded once, however often it occurs.
template <class T>
double direct_path_loss_by_token(const Params<T>& params, const std::vector<int32_t>& windows,
                                 int64_t n_seq, int64_t seq) {
  const Config& c = params.cfg;
  const int64_t V = c.d_vocab;
  std::vector<std::vector<int32_t>> targets_of(static_cast<size_t>(V));
  for (int64_t b = 0; b < n_seq; ++b)
    for (int64_t t = 0; t < seq; ++t) {
      const int32_t* w = windows.data() + b * (seq + 1) + t;
      targets_of[size_t(w[0])].push_back(w[1]);
    }
  std::vector<int32_t> distinct;
  for (int64_t u = 0; u < V; ++u)
    if (!targets_of[size_t(u)].empty()) distinct.push_back(int32_t(u));
  Interventions<T> iv;
  iv.max_path_order = 0;
  double sum = 0;
  std::unique_ptr<Activations<T>> a;
  for (size_t i0 = 0; i0 < distinct.size(); i0 += size_t(c.n_ctx)) {
    const int64_t n = std::min<int64_t>(c.n_ctx, int64_t(distinct.size() - i0));
    // One sequence of distinct tokens, each its own target: the pass's loss is then
    // logsumexp - logit[token], which gives each row's logsumexp without another pass over it.
    std::vector<int32_t> w(distinct.begin() + int64_t(i0), distinct.begin() + int64_t(i0) + n);
    w.push_back(w.back());
    if (!a || a->Tn != n) a = std::make_unique<Activations<T>>(c, 1, n, true);
    a->set_windows(w.data());
    forward(params, *a, &iv);
    for (int64_t i = 0; i < n; ++i) {
      const T* row = a->logits.data() + i * V;
      const double lse = double(a->loss[size_t(i)]) + double(row[w[size_t(i + 1)]]);
      for (int32_t target : targets_of[size_t(w[size_t(i)])]) sum += lse - double(row[target]);
    }
  }
  return sum / double(n_seq * seq);
}

std::string layer_head(int l, int h) { return std::to_string(l) + "." + std::to_string(h); }

}  // namespace

template <class T>
double stream_loss(const Params<T>& params, const T* stream, const int32_t* targets, int64_t rows) {
  const Config& c = params.cfg;
  CS_CHECK(!c.normalized(), "a stream loss through W_U alone needs a model without normalization");
  std::vector<T> loss(static_cast<size_t>(rows));
  UnembedScratch<T> scratch(rows, c.d_vocab);
  unembed_forward(stream, params["unembed.W_U"], params.maybe(params.layout.b_U), targets, loss.data(),
                  static_cast<T*>(nullptr), rows,
                  int64_t(c.d_model), int64_t(c.d_vocab), scratch);
  double s = 0;
  for (T x : loss) s += double(x);
  return s / double(rows);
}

namespace {

// virtual_head_z with layer1's head results [B, T, H, D] already formed, so the pairs of one
// layer share them.
template <class T>
std::vector<T> pair_z(const Params<T>& params, const Activations<T>& order1, const HookTensor<T>& result,
                      int h1, int l2, int h2) {
  const Config& c = params.cfg;
  const int H = c.n_heads;
  const int64_t B = order1.B, Tn = order1.Tn, D = c.d_model, K = c.d_head, R = B * Tn;
  const T* W_V = params["blocks." + std::to_string(l2) + ".attn.W_V"] + int64_t(h2) * D * K;
  // v = r^{h1} W_V^{h2}: the rows of the result of head h1 are H * D apart.
  std::vector<T> v(size_t(R * K)), z(size_t(R * K), T(0));
  gemm<T>(false, false, R, K, D, T(1), result.data.data() + int64_t(h1) * D, int64_t(H) * D, W_V, K,
          T(0), v.data(), K);
  for (int64_t b = 0; b < B; ++b) {
    const T* A = order1.pattern[size_t(l2)].data() + (b * H + h2) * Tn * Tn;
    gemm<T>(false, false, Tn, K, Tn, T(1), A, Tn, v.data() + b * Tn * K, K, T(0),
            z.data() + b * Tn * K, K);
  }
  return z;
}

}  // namespace

template <class T>
std::vector<T> virtual_head_z(const Params<T>& params, const Activations<T>& order1, int l1, int h1,
                              int l2, int h2) {
  const Config& c = params.cfg;
  const int L = c.n_layers, H = c.n_heads;
  CS_CHECK(l1 >= 0 && l1 < L && l2 >= 0 && l2 < L,
           "virtual head layers " << l1 << " -> " << l2 << " out of range [0, " << L << ")");
  CS_CHECK(h1 >= 0 && h1 < H && h2 >= 0 && h2 < H,
           "virtual head heads " << h1 << " -> " << h2 << " out of range [0, " << H << ")");
  CS_CHECK(l1 < l2, "a virtual head runs from an earlier layer to a later one, got layers "
                        << l1 << " -> " << l2);
  return pair_z(params, order1, order1.head_result(params, l1), h1, l2, h2);
}

template <class T>
std::vector<T> virtual_head_term(const Params<T>& params, const Activations<T>& order1, int l1,
                                 int h1, int l2, int h2) {
  const Config& c = params.cfg;
  const int64_t D = c.d_model, K = c.d_head, R = order1.B * order1.Tn;
  const std::vector<T> z = virtual_head_z(params, order1, l1, h1, l2, h2);
  const T* W_O = params["blocks." + std::to_string(l2) + ".attn.W_O"] + int64_t(h2) * K * D;
  std::vector<T> out(size_t(R * D));
  gemm<T>(false, false, R, D, K, T(1), z.data(), K, W_O, D, T(0), out.data(), D);
  return out;
}

namespace {

void check_inputs(const Config& c, const std::vector<int32_t>& windows, int64_t n_seq, int64_t seq,
                  const PathExpansionOptions& o) {
  CS_CHECK(n_seq >= 1, "path expansion needs at least one sequence");
  CS_CHECK(seq >= 1 && seq <= c.n_ctx,
           "sequence length " << seq << " must be between 1 and n_ctx = " << c.n_ctx);
  CS_CHECK(int64_t(windows.size()) == n_seq * (seq + 1),
           "path expansion windows hold " << windows.size() << " tokens, expected " << n_seq
                                          << " x " << seq + 1);
  CS_CHECK(o.batch >= 1, "path expansion batch must be at least 1, got " << o.batch);
  for (int32_t t : windows)
    CS_CHECK(t >= 0 && t < c.d_vocab, "path expansion token " << t << " is outside the vocabulary [0, "
                                                              << c.d_vocab << ")");
}

// Why a model has no virtual-head importances; empty when it has them.
std::string virtual_heads_note(const Config& c, bool asked) {
  if (c.n_layers < 2) return "one layer: no virtual heads";
  if (!c.attn_only())
    return "model with MLPs: the MLP outputs are frozen terms and each head's importance counts "
           "the paths through them; single pair terms are not isolated";
  if (c.biases) return "model with biases: single pair terms are not isolated";
  if (c.normalized())
    return "normalized model: LayerNorm's per-token scale makes terms non-additive, so single "
           "pair terms are not isolated";
  if (!asked) return "not computed (switched off)";
  return "";
}

// Running sums, over the batches so far, of the losses by order and of those the importances
// are measured with.
struct ExpansionLosses {
  std::vector<LossSum> order;                // [L + 1], by path order
  std::vector<LossSum> head_term, head_all;  // [L * H], the head's terms removed
  std::vector<LossSum> pair;                 // per layer pair (l1 < l2), [H * H] (h1, h2) row-major
  std::vector<LossSum> mlp_term, mlp_all;    // [L], the MLP layer's frozen output removed
  LossSum order0_terms, order1_terms, order2_terms, full_terms;
};

// One batch's passes. Every variant pass reuses the clean pass's patterns.
template <class T>
struct Batch {
  Activations<T>& clean;
  Activations<T>& var;     // scratch for the variant passes
  Activations<T>* order1;  // the order-1 pass the terms read; null outside the term sequences
  int64_t rows;
  const int32_t* targets() const { return clean.targets.data(); }
};

// The full-order variants' losses: the reference, each head's ablated stream, the last layer's
// heads' terms and, with two layers, the virtual heads' terms from pairs_from on.
struct FullOrderLosses {
  std::vector<double> loss;
  size_t pairs_from = 0;
};

// The mean loss of a pass with the clean patterns frozen, at path order `order` (-1: full).
// With MLPs, their outputs are frozen to the clean pass's too: each is then a constant term.
template <class T>
double frozen_pass(const Params<T>& params, const Activations<T>& clean, Activations<T>& a,
                   int order, std::vector<HeadAblation> ablate = {}, std::vector<MlpAblation> ablate_mlp = {}) {
  Interventions<T> iv;
  iv.freeze_patterns = &clean;
  if (!params.cfg.attn_only()) iv.freeze_mlp_out = &clean;
  iv.max_path_order = order;
  iv.ablate = std::move(ablate);
  iv.ablate_mlp = std::move(ablate_mlp);
  forward(params, a, &iv);
  return double(a.mean_loss());
}

template <class T>
class Expansion {
 public:
  Expansion(const Params<T>& p, bool virtual_pairs, bool terms, std::vector<bool> heads)
      : heads(std::move(heads)), params(p), c(p.cfg), L(c.n_layers), H(c.n_heads), D(c.d_model), K(c.d_head),
        V(c.d_vocab), W_U(p["unembed.W_U"]), linear(!c.normalized() && c.attn_only() && !c.biases),
        pairs(virtual_pairs && L >= 2 && linear),
        direct_by_token(L >= 1 && c.positional_embedding_type != Positions::standard && c.attn_only()) {
    sums.order.resize(size_t(L + 1));
    if (!c.attn_only()) {
      sums.mlp_term.resize(size_t(L));
      sums.mlp_all.resize(size_t(L));
    }
    sums.head_term.resize(size_t(L * H));
    sums.head_all.resize(size_t(L * H));
    if (pairs) sums.pair.resize(size_t(L * (L - 1) / 2 * H * H));
    // W_O^{l,h} W_U [K, V] for every head, stacked [L, H K, V]: the terms' unembedding.
    if (linear && terms) {
      OU.resize(size_t(L * H * K * V));
      for (int l = 0; l < L; ++l)
        gemm<T>(false, false, H * K, V, D, T(1), p["blocks." + std::to_string(l) + ".attn.W_O"], D,
                W_U, V, T(0), OU.data() + l * H * K * V, V);
    }
  }

  // The direct path when it depends on the token alone: once for all sequences, not per batch.
  void direct_path(const std::vector<int32_t>& windows, int64_t n_seq, int64_t seq) {
    if (direct_by_token)
      sums.order[0].add(direct_path_loss_by_token(params, windows, n_seq, seq), n_seq * seq);
  }

  // One batch of nb sequences: its losses by order and, on the term sequences, the importances.
  // Returns the clean pass's mean loss.
  double batch(const int32_t* windows, int64_t nb, int64_t seq, bool terms) {
    Batch<T> b = passes(windows, nb, seq, terms);
    const double clean = losses_by_order(b);
    if (!terms) return clean;
    if (!linear) {
      ablate_each_head(b);
      return clean;
    }
    own_term_importances(b);
    const FullOrderLosses full = all_terms_importances(b);
    if (pairs) virtual_head_importances(b, full);
    return clean;
  }

  const ExpansionLosses& losses() const { return sums; }
  bool has_pairs() const { return pairs; }

 private:
  Batch<T> passes(const int32_t* windows, int64_t nb, int64_t seq, bool terms) {
    if (!clean_acts || clean_acts->B != nb) {
      clean_acts = std::make_unique<Activations<T>>(c, nb, seq);
      var_acts = std::make_unique<Activations<T>>(c, nb, seq);
      order1_acts.reset();
    }
    clean_acts->set_windows(windows);
    var_acts->set_windows(windows);
    if (terms && !order1_acts) order1_acts = std::make_unique<Activations<T>>(c, nb, seq);
    if (terms) order1_acts->set_windows(windows);
    return {*clean_acts, *var_acts, terms ? order1_acts.get() : nullptr, nb * seq};
  }

  // The clean pass, and the loss at each path order with its patterns frozen. Returns the clean
  // pass's mean loss.
  double losses_by_order(Batch<T>& b) {
    forward(params, b.clean);
    // The terms read the order-1 pass, so theirs is kept apart. Order n_layers with the clean
    // patterns is the clean pass itself.
    for (int k = direct_by_token ? 1 : 0; k < L; ++k) {
      Activations<T>& a = b.order1 && k == 1 ? *b.order1 : b.var;
      sums.order[size_t(k)].add(frozen_pass(params, b.clean, a, k), b.rows);
    }
    sums.order[size_t(L)].add(double(b.clean.mean_loss()), b.rows);
    // With one layer order 1 is the full order, not among the passes above.
    if (b.order1 && L < 2) frozen_pass(params, b.clean, *b.order1, 1);
    return double(b.clean.mean_loss());
  }

  double zeroed_head_loss(Batch<T>& b, int l, int h, int order) {
    return frozen_pass(params, b.clean, b.var, order, {{l, h, HeadAblation::Kind::zero}});
  }

  // LayerNorm's scale depends on every term, and so does an MLP's frozen output's effect through
  // later LayerNorms: each removal is a pass with the head (or the MLP's output) zeroed.
  void ablate_each_head(Batch<T>& b) {
    for (int l = 0; l < L; ++l)
      for (int h = 0; h < H; ++h) {
        if (!heads.empty() && !heads[size_t(l * H + h)]) continue;
        sums.head_all[size_t(l * H + h)].add(zeroed_head_loss(b, l, h, -1), b.rows);
        sums.head_term[size_t(l * H + h)].add(zeroed_head_loss(b, l, h, 1), b.rows);
      }
    sums.order1_terms.add(double(b.order1->mean_loss()), b.rows);
    sums.full_terms.add(double(b.clean.mean_loss()), b.rows);  // no ablation: the clean pass
    if (c.attn_only()) return;
    sums.order0_terms.add(frozen_pass(params, b.clean, b.var, 0), b.rows);
    for (int l = 0; l < L; ++l) {
      const std::vector<MlpAblation> zero = {{l, HeadAblation::Kind::zero}};
      sums.mlp_term[size_t(l)].add(frozen_pass(params, b.clean, b.var, 0, {}, zero), b.rows);
      sums.mlp_all[size_t(l)].add(frozen_pass(params, b.clean, b.var, -1, {}, zero), b.rows);
    }
  }

  // Head h of layer l's term in pass a, unembedded through W_O^h W_U.
  RankTerm<T> term_of(const Activations<T>& a, int l, int h) const {
    return {a.z[size_t(l)].data() + h * K, H * K, K, head_OU(l, h)};
  }
  const T* head_OU(int l, int h) const { return OU.data() + (int64_t(l) * H + h) * K * V; }

  // Without normalization a head's own term is z^h W_O^h, so its removal is the order-1 logits
  // minus z^h (W_O^h W_U), for every head at once.
  void own_term_importances(const Batch<T>& b) {
    LogitVariants<T> own;
    own.stream = b.order1->resid[size_t(L)].data();
    for (int l = 0; l < L; ++l)
      for (int h = 0; h < H; ++h) own.terms.push_back(term_of(*b.order1, l, h));
    const std::vector<double> loss = variant_mean_losses(own, W_U, D, V, b.targets(), b.rows);
    sums.order1_terms.add(loss[0], b.rows);
    for (int i = 0; i < L * H; ++i) sums.head_term[size_t(i)].add(loss[size_t(1 + i)], b.rows);
  }

  // Every path through a head. The last layer's heads are their own terms at full order (nothing
  // reads their result). An earlier head's removal changes what every later head reads: with two
  // layers its ablated stream is formed from the pair terms, and order 2 is the clean pass, so
  // the virtual heads share these logits; deeper, it is a whole pass with the head zeroed.
  FullOrderLosses all_terms_importances(Batch<T>& b) {
    LogitVariants<T> full;
    full.stream = b.clean.resid[size_t(L)].data();
    std::vector<std::vector<T>> z;  // [H * H] pair terms' z [rows, K], (h1, h2) row-major
    std::vector<T> ablated;         // [H, rows, D]
    if (L == 2) {
      two_layer_ablated_streams(b, full, z, ablated);
    } else {
      for (int l = 0; l + 1 < L; ++l)
        for (int h = 0; h < H; ++h)
          sums.head_all[size_t(l * H + h)].add(zeroed_head_loss(b, l, h, -1), b.rows);
    }
    for (int h = 0; h < H; ++h) full.terms.push_back(term_of(b.clean, L - 1, h));
    if (L == 2 && pairs)
      for (int i = 0; i < H * H; ++i)
        full.terms.push_back({z[size_t(i)].data(), K, K, head_OU(1, i % H)});
    const size_t S = full.streams.size();
    FullOrderLosses f{variant_mean_losses(full, W_U, D, V, b.targets(), b.rows), 1 + S + size_t(H)};
    sums.full_terms.add(f.loss[0], b.rows);
    for (size_t h = 0; h < S; ++h) sums.head_all[h].add(f.loss[1 + h], b.rows);
    for (int h = 0; h < H; ++h)
      sums.head_all[size_t((L - 1) * H + h)].add(f.loss[1 + S + size_t(h)], b.rows);
    return f;
  }

  // A first-layer head's paths are its own term and its virtual heads into every second-layer
  // head: its ablated stream is the clean one minus both (layer 0 reads only the embedding: its
  // clean results are the order-1 ones).
  void two_layer_ablated_streams(const Batch<T>& b, LogitVariants<T>& full,
                                 std::vector<std::vector<T>>& z, std::vector<T>& ablated) const {
    const int64_t rows = b.rows;
    const HookTensor<T> result = b.order1->head_result(params, 0);
    const T* W_O1 = params["blocks.1.attn.W_O"];
    ablated.resize(size_t(H * rows * D));
    for (int h1 = 0; h1 < H; ++h1) {
      T* a = ablated.data() + h1 * rows * D;
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t d = 0; d < D; ++d)
          a[r * D + d] = full.stream[r * D + d] - result.data[size_t((r * H + h1) * D + d)];
      for (int h2 = 0; h2 < H; ++h2) {
        z.push_back(pair_z(params, *b.order1, result, h1, 1, h2));
        gemm<T>(false, false, rows, D, K, T(-1), z.back().data(), K, W_O1 + h2 * K * D, D, T(1),
                a, D);
      }
      full.streams.push_back(a);
    }
  }

  // The order-2 logits minus one pair's term z W_O^{h2} W_U, with z from the order-1 pass (heads
  // reading x0) and the frozen pattern of the later head.
  void virtual_head_importances(Batch<T>& b, const FullOrderLosses& full) {
    if (L == 2) {
      sums.order2_terms.add(full.loss[0], b.rows);
      for (int i = 0; i < H * H; ++i)
        sums.pair[size_t(i)].add(full.loss[full.pairs_from + size_t(i)], b.rows);
      return;
    }
    sums.order2_terms.add(frozen_pass(params, b.clean, b.var, 2), b.rows);
    size_t p = 0;
    for (int l1 = 0; l1 < L; ++l1)
      for (int l2 = l1 + 1; l2 < L; ++l2) {
        const std::vector<double> loss = layer_pair_losses(b, l1, l2);
        for (int i = 0; i < H * H; ++i, ++p) sums.pair[p].add(loss[size_t(1 + i)], b.rows);
      }
  }

  // One layer pair at a time bounds the stored z's to H^2 x rows x d_head.
  std::vector<double> layer_pair_losses(const Batch<T>& b, int l1, int l2) const {
    std::vector<std::vector<T>> z;
    LogitVariants<T> pair;
    pair.stream = b.var.resid[size_t(L)].data();
    const HookTensor<T> result = b.order1->head_result(params, l1);
    for (int h1 = 0; h1 < H; ++h1)
      for (int h2 = 0; h2 < H; ++h2) {
        z.push_back(pair_z(params, *b.order1, result, h1, l2, h2));
        pair.terms.push_back({z.back().data(), K, K, head_OU(l2, h2)});
      }
    return variant_mean_losses(pair, W_U, D, V, b.targets(), b.rows);
  }

  const std::vector<bool> heads;
  const Params<T>& params;
  const Config& c;
  const int L, H;
  const int64_t D, K, V;
  const T* W_U;
  const bool linear, pairs, direct_by_token;
  std::vector<T> OU;
  ExpansionLosses sums;
  // Caches of a batch's passes, kept across batches: each holds L x B H T^2 patterns, and fresh
  // ones would be faulted in again for every batch.
  std::unique_ptr<Activations<T>> clean_acts, var_acts, order1_acts;
};

// Importances compare with the unablated loss on the same (term) sequences.
void summarize(const ExpansionLosses& s, const LossSum& clean, bool pairs, PathExpansion& pe) {
  const int L = pe.n_layers, H = pe.n_heads;
  // Whole batches: may exceed the request a little.
  pe.term_sequences = s.order1_terms.rows / pe.seq;
  pe.clean_loss = clean.mean();
  for (const LossSum& o : s.order) pe.loss_by_order.push_back(o.mean());
  // A head left out (PathExpansionOptions::heads) summed no rows: NaN.
  auto minus = [](const LossSum& a, const LossSum& b) {
    return a.rows ? a.mean() - b.mean() : std::numeric_limits<double>::quiet_NaN();
  };
  for (int i = 0; i < L * H; ++i) {
    pe.head_term.push_back(minus(s.head_term[size_t(i)], s.order1_terms));
    pe.head_all_terms.push_back(minus(s.head_all[size_t(i)], s.full_terms));
  }
  for (size_t l = 0; l < s.mlp_term.size(); ++l) {
    pe.mlp_term.push_back(s.mlp_term[l].mean() - s.order0_terms.mean());
    pe.mlp_all_terms.push_back(s.mlp_all[l].mean() - s.full_terms.mean());
  }
  size_t p = 0;
  if (pairs)
    for (int l1 = 0; l1 < L; ++l1)
      for (int l2 = l1 + 1; l2 < L; ++l2)
        for (int h1 = 0; h1 < H; ++h1)
          for (int h2 = 0; h2 < H; ++h2, ++p)
            pe.virtual_heads.push_back({l1, h1, l2, h2, s.pair[p].mean() - s.order2_terms.mean()});
  std::stable_sort(pe.virtual_heads.begin(), pe.virtual_heads.end(),
                   [](const VirtualHeadTerm& a, const VirtualHeadTerm& b) {
                     return a.importance > b.importance;
                   });
}

}  // namespace

template <class T>
PathExpansion path_expansion(const Params<T>& params, const std::vector<int32_t>& windows,
                             int64_t n_seq, int64_t seq, const PathExpansionOptions& o) {
  const Config& c = params.cfg;
  check_inputs(c, windows, n_seq, seq, o);
  PathExpansion pe;
  pe.n_layers = c.n_layers;
  pe.n_heads = c.n_heads;
  pe.n_sequences = n_seq;
  pe.seq = seq;
  pe.term_sequences = o.term_sequences < 0 ? n_seq : std::min(o.term_sequences, n_seq);
  pe.virtual_heads_note = virtual_heads_note(c, o.virtual_pairs);

  CS_CHECK(o.heads.empty() || int64_t(o.heads.size()) == int64_t(c.n_layers) * c.n_heads,
           "path expansion head mask holds " << o.heads.size() << " entries, expected one per head");
  Expansion<T> x(params, o.virtual_pairs, pe.term_sequences > 0, o.heads);
  x.direct_path(windows, n_seq, seq);
  LossSum clean;
  for (int64_t b0 = 0; b0 < n_seq; b0 += o.batch) {
    const int64_t nb = std::min<int64_t>(o.batch, n_seq - b0);
    clean.add(x.batch(windows.data() + b0 * (seq + 1), nb, seq, b0 < pe.term_sequences), nb * seq);
  }
  summarize(x.losses(), clean, x.has_pairs(), pe);
  return pe;
}

nlohmann::ordered_json PathExpansion::to_json() const {
  nlohmann::ordered_json j;
  j["patterns"] =
      "frozen to the clean pass's (docs/evaluators.md): with fixed patterns the model is linear "
      "in its embedding, and every loss below uses them";
  j["n_sequences"] = n_sequences;
  j["sequence_length"] = seq;
  j["clean_loss"] = clean_loss;
  j["loss_by_order"] = loss_by_order;
  j["direct_path_loss"] = loss_by_order.front();
  nlohmann::ordered_json marginal = nlohmann::ordered_json::array();
  for (int k = 1; k <= n_layers; ++k) {
    const char* what = k == 1   ? "single-head terms (order 0 - order 1)"
                       : k == 2 ? "virtual heads, pairs of heads (order 1 - order 2)"
                                : "chains of more heads";
    marginal.push_back({{"order", k},
                        {"terms", k == 1 ? "single heads" : std::to_string(k) + "-head chains"},
                        {"nats", loss_by_order[size_t(k - 1)] - loss_by_order[size_t(k)]},
                        {"what", what}});
  }
  j["marginal_nats"] = marginal;
  j["term_sequences"] = term_sequences;
  nlohmann::ordered_json heads = nlohmann::ordered_json::array();
  for (int l = 0; l < n_layers; ++l)
    for (int h = 0; h < n_heads; ++h)
      heads.push_back({{"layer", l},
                       {"head", h},
                       {"term_importance", head_term[size_t(l * n_heads + h)]},
                       {"all_terms_importance", head_all_terms[size_t(l * n_heads + h)]}});
  j["heads"] = heads;
  nlohmann::ordered_json pairs = nlohmann::ordered_json::array();
  for (const VirtualHeadTerm& v : virtual_heads)
    pairs.push_back({{"from", {v.layer1, v.head1}},
                     {"to", {v.layer2, v.head2}},
                     {"name", layer_head(v.layer1, v.head1) + " -> " + layer_head(v.layer2, v.head2)},
                     {"importance", v.importance}});
  j["virtual_heads"] = pairs;
  if (!virtual_heads_note.empty()) j["virtual_heads_note"] = virtual_heads_note;
  if (!mlp_term.empty()) {
    j["mlp_outputs"] =
        "frozen to the clean pass's as well: each MLP layer's output is a constant term that joins "
        "the stream after its layer (at order 0 with the embedding), so the model stays linear in "
        "its terms";
    nlohmann::ordered_json mlps = nlohmann::ordered_json::array();
    for (size_t l = 0; l < mlp_term.size(); ++l)
      mlps.push_back({{"layer", l}, {"term_importance", mlp_term[l]}, {"all_terms_importance", mlp_all_terms[l]}});
    j["mlp_layers"] = mlps;
  }
  j["definitions"] = {
      {"loss_by_order",
       "mean next-token loss (nats) when each head reads the residual built from order-(k-1) "
       "head outputs; order 0 = the direct path W_E W_U, order n_layers = the full model"},
      {"term_importance",
       "loss at order 1 with the head's result zeroed minus the loss at order 1 (its own term)"},
      {"all_terms_importance",
       "pattern-preserving ablation: loss with the head's result zeroed at full order minus the "
       "clean loss (every path through the head)"},
      {"virtual_heads.importance",
       "loss at order 2 with the term A^h2 A^h1 x W_OV^h1 W_OV^h2 W_U removed minus the loss at "
       "order 2"},
      {"term_sequences", "the first this many sequences give the importances"},
  };
  if (!mlp_term.empty()) {
    j["definitions"]["mlp_layers.term_importance"] =
        "loss at order 0 with the layer's frozen MLP output removed minus the loss at order 0 (the "
        "output's own path to the logits)";
    j["definitions"]["mlp_layers.all_terms_importance"] =
        "loss at full order with the frozen MLP output removed minus the clean loss (also every head "
        "that reads it)";
  }
  return j;
}

#define CS_INSTANTIATE(T)                                                                        \
  template PathExpansion path_expansion<T>(const Params<T>&, const std::vector<int32_t>&, int64_t, \
                                           int64_t, const PathExpansionOptions&);                \
  template std::vector<T> virtual_head_term<T>(const Params<T>&, const Activations<T>&, int, int, \
                                               int, int);                                        \
  template std::vector<T> virtual_head_z<T>(const Params<T>&, const Activations<T>&, int, int,    \
                                            int, int);                                           \
  template double stream_loss<T>(const Params<T>&, const T*, const int32_t*, int64_t);
CS_INSTANTIATE(float)
CS_INSTANTIATE(double)
#undef CS_INSTANTIATE

}  // namespace cs::analysis
