#include "analysis/path_expansion.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
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

std::string layer_head(int l, int h) { return std::to_string(l) + "." + std::to_string(h); }

}  // namespace

template <class T>
double stream_loss(const Params<T>& params, const T* stream, const int32_t* targets, int64_t rows) {
  const Config& c = params.cfg;
  CS_CHECK(!c.normalized(), "a stream loss through W_U alone needs a model without normalization");
  std::vector<T> loss(static_cast<size_t>(rows));
  UnembedScratch<T> scratch(rows, c.d_vocab);
  unembed_forward(stream, params["unembed.W_U"], targets, loss.data(), static_cast<T*>(nullptr), rows,
                  int64_t(c.d_model), int64_t(c.d_vocab), scratch);
  double s = 0;
  for (T x : loss) s += double(x);
  return s / double(rows);
}

template <class T>
std::vector<T> virtual_head_term(const Params<T>& params, const Activations<T>& order1, int l1,
                                 int h1, int l2, int h2) {
  const Config& c = params.cfg;
  const int L = c.n_layers, H = c.n_heads;
  CS_CHECK(l1 >= 0 && l1 < L && l2 >= 0 && l2 < L,
           "virtual head layers " << l1 << " -> " << l2 << " out of range [0, " << L << ")");
  CS_CHECK(h1 >= 0 && h1 < H && h2 >= 0 && h2 < H,
           "virtual head heads " << h1 << " -> " << h2 << " out of range [0, " << H << ")");
  CS_CHECK(l1 < l2, "a virtual head runs from an earlier layer to a later one, got layers "
                        << l1 << " -> " << l2);
  const int64_t B = order1.B, Tn = order1.Tn, D = c.d_model, K = c.d_head, R = B * Tn;
  const HookTensor<T> result = order1.head_result(params, l1);  // [B, T, H, D]
  const T* W_V = params["blocks." + std::to_string(l2) + ".attn.W_V"] + int64_t(h2) * D * K;
  const T* W_O = params["blocks." + std::to_string(l2) + ".attn.W_O"] + int64_t(h2) * K * D;
  // v = r^{h1} W_V^{h2}: the rows of the result of head h1 are H * D apart.
  std::vector<T> v(size_t(R * K)), z(size_t(R * K), T(0)), out(size_t(R * D));
  gemm<T>(false, false, R, K, D, T(1), result.data.data() + int64_t(h1) * D, int64_t(H) * D, W_V, K,
          T(0), v.data(), K);
  for (int64_t b = 0; b < B; ++b) {
    const T* A = order1.pattern[size_t(l2)].data() + (b * H + h2) * Tn * Tn;
    gemm<T>(false, false, Tn, K, Tn, T(1), A, Tn, v.data() + b * Tn * K, K, T(0),
            z.data() + b * Tn * K, K);
  }
  gemm<T>(false, false, R, D, K, T(1), z.data(), K, W_O, D, T(0), out.data(), D);
  return out;
}

template <class T>
PathExpansion path_expansion(const Params<T>& params, const std::vector<int32_t>& windows,
                             int64_t n_seq, int64_t seq, const PathExpansionOptions& o) {
  const Config& c = params.cfg;
  const int L = c.n_layers, H = c.n_heads;
  CS_CHECK(n_seq >= 1, "path expansion needs at least one sequence");
  CS_CHECK(seq >= 1 && seq <= c.n_ctx,
           "sequence length " << seq << " must be between 1 and n_ctx = " << c.n_ctx);
  CS_CHECK(int64_t(windows.size()) == n_seq * (seq + 1),
           "path expansion windows hold " << windows.size() << " tokens, expected " << n_seq
                                          << " x " << seq + 1);
  CS_CHECK(o.batch >= 1, "path expansion batch must be at least 1, got " << o.batch);
  PathExpansion pe;
  pe.n_layers = L;
  pe.n_heads = H;
  pe.n_sequences = n_seq;
  pe.seq = seq;
  pe.term_sequences = o.term_sequences < 0 ? n_seq : std::min(o.term_sequences, n_seq);
  const bool pairs = o.virtual_pairs && L >= 2 && !c.normalized();
  if (L < 2) pe.virtual_heads_note = "one layer: no virtual heads";
  else if (c.normalized())
    pe.virtual_heads_note =
        "normalized model: LayerNorm's per-token scale makes terms non-additive, so single "
        "pair terms are not isolated";
  else if (!o.virtual_pairs)
    pe.virtual_heads_note = "not computed (switched off)";

  std::vector<LossSum> order(size_t(L + 1)), head_term(size_t(L * H)), head_all(size_t(L * H));
  LossSum clean, order1_terms, order2_terms, full_terms;
  std::vector<LossSum> pair_loss;
  if (pairs)
    for (int l1 = 0; l1 < L; ++l1)
      for (int l2 = l1 + 1; l2 < L; ++l2) pair_loss.resize(pair_loss.size() + size_t(H * H));

  for (int64_t b0 = 0; b0 < n_seq; b0 += o.batch) {
    const int64_t nb = std::min<int64_t>(o.batch, n_seq - b0);
    const int64_t rows = nb * seq;
    Activations<T> acts(c, nb, seq);
    acts.set_windows(windows.data() + b0 * (seq + 1));
    forward(params, acts);
    clean.add(double(acts.mean_loss()), rows);

    Interventions<T> iv;
    iv.freeze_patterns = &acts;
    Activations<T> var(c, nb, seq);
    var.set_windows(windows.data() + b0 * (seq + 1));
    // Order n_layers with the clean patterns is the clean pass itself.
    for (int k = 0; k < L; ++k) {
      iv.max_path_order = k;
      forward(params, var, &iv);
      order[size_t(k)].add(double(var.mean_loss()), rows);
    }
    order[size_t(L)].add(double(acts.mean_loss()), rows);
    if (b0 >= pe.term_sequences) continue;

    // Per-head terms: at order 1 each head's only term is its own; at full order the ablation
    // removes every path through the head.
    for (int l = 0; l < L; ++l)
      for (int h = 0; h < H; ++h) {
        iv.ablate = {{l, h, HeadAblation::Kind::zero}};
        iv.max_path_order = 1;
        forward(params, var, &iv);
        head_term[size_t(l * H + h)].add(double(var.mean_loss()), rows);
        iv.max_path_order = -1;
        forward(params, var, &iv);
        head_all[size_t(l * H + h)].add(double(var.mean_loss()), rows);
      }
    iv.ablate.clear();
    Activations<T> order1(c, nb, seq);
    order1.set_windows(windows.data() + b0 * (seq + 1));
    iv.max_path_order = 1;
    forward(params, order1, &iv);
    order1_terms.add(double(order1.mean_loss()), rows);
    full_terms.add(double(acts.mean_loss()), rows);  // no ablation: the clean pass
    if (!pairs) continue;

    // Virtual heads: the order-2 stream minus one pair's term, which is computed from the
    // order-1 pass (heads reading x0) and the frozen pattern of the later head. With two layers
    // order 2 is the clean pass.
    const Activations<T>* order2 = &acts;
    if (L > 2) {
      iv.max_path_order = 2;
      forward(params, var, &iv);
      order2 = &var;
    }
    order2_terms.add(double(order2->mean_loss()), rows);
    const std::vector<T> stream2 = order2->resid[size_t(L)];
    std::vector<T> s(stream2.size());
    size_t p = 0;
    for (int l1 = 0; l1 < L; ++l1)
      for (int l2 = l1 + 1; l2 < L; ++l2)
        for (int h1 = 0; h1 < H; ++h1)
          for (int h2 = 0; h2 < H; ++h2, ++p) {
            const std::vector<T> term = virtual_head_term(params, order1, l1, h1, l2, h2);
            for (size_t i = 0; i < s.size(); ++i) s[i] = stream2[i] - term[i];
            pair_loss[p].add(stream_loss(params, s.data(), var.targets.data(), rows), rows);
          }
  }

  pe.term_sequences = order1_terms.rows / seq;  // whole batches: may exceed the request a little
  pe.clean_loss = clean.mean();
  for (const LossSum& s : order) pe.loss_by_order.push_back(s.mean());
  // Importances compare with the unablated loss on the same (term) sequences.
  for (int i = 0; i < L * H; ++i) {
    pe.head_term.push_back(head_term[size_t(i)].mean() - order1_terms.mean());
    pe.head_all_terms.push_back(head_all[size_t(i)].mean() - full_terms.mean());
  }
  size_t p = 0;
  if (pairs)
    for (int l1 = 0; l1 < L; ++l1)
      for (int l2 = l1 + 1; l2 < L; ++l2)
        for (int h1 = 0; h1 < H; ++h1)
          for (int h2 = 0; h2 < H; ++h2, ++p)
            pe.virtual_heads.push_back({l1, h1, l2, h2, pair_loss[p].mean() - order2_terms.mean()});
  std::stable_sort(pe.virtual_heads.begin(), pe.virtual_heads.end(),
                   [](const VirtualHeadTerm& a, const VirtualHeadTerm& b) {
                     return a.importance > b.importance;
                   });
  return pe;
}

nlohmann::ordered_json PathExpansion::to_json() const {
  nlohmann::ordered_json j;
  j["patterns"] =
      "frozen to the clean pass's (SPEC §4): with fixed patterns the model is linear in its "
      "embedding, and every loss below uses them";
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
  return j;
}

#define CS_INSTANTIATE(T)                                                                        \
  template PathExpansion path_expansion<T>(const Params<T>&, const std::vector<int32_t>&, int64_t, \
                                           int64_t, const PathExpansionOptions&);                \
  template std::vector<T> virtual_head_term<T>(const Params<T>&, const Activations<T>&, int, int, \
                                               int, int);                                        \
  template double stream_loss<T>(const Params<T>&, const T*, const int32_t*, int64_t);
CS_INSTANTIATE(float)
CS_INSTANTIATE(double)
#undef CS_INSTANTIATE

}  // namespace cs::analysis
