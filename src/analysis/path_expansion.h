#pragma once
// Path expansion and term importance by order (Framework; docs/evaluators.md). With every attention
// pattern frozen to a clean pass, an attention-only model is linear in its embedding, so its
// logits split into the direct path, one term per head and one "virtual head" per pair of heads
// in different layers (and longer chains in deeper models). Losses at path order 0..n_layers give
// the marginal value in nats of each order; per-term importances say which heads and which
// virtual heads carry it.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "model/activations.h"
#include "model/params.h"

namespace cs::analysis {

struct PathExpansionOptions {
  int batch = 8;               // sequences per forward pass (bounds memory: patterns are B H T^2)
  int64_t term_sequences = -1;  // sequences for the per-term importances; -1: all of them
  bool virtual_pairs = true;
  // Models whose terms are not additive (normalized, MLPs, biases), where each head costs two
  // passes: the heads (one entry each, layer-major) that get importances; empty: all. The others'
  // importances are NaN.
  std::vector<bool> heads;
};

struct VirtualHeadTerm {
  int layer1 = 0, head1 = 0, layer2 = 0, head2 = 0;
  double importance = 0;  // loss at order 2 without this pair's term minus loss at order 2
};

struct PathExpansion {
  int n_layers = 0, n_heads = 0;
  int64_t n_sequences = 0, seq = 0, term_sequences = 0;
  double clean_loss = 0;
  std::vector<double> loss_by_order;  // [n_layers + 1]; the last equals clean_loss
  // Loss at order 1 with that head's term removed (pattern-preserving ablation at order 1) minus
  // the loss at order 1: what the head's own term (A^h x W_E W_OV^h W_U) is worth. [L * H]
  std::vector<double> head_term;
  // Pattern-preserving ablation at full order: every term through the head. [L * H]
  std::vector<double> head_all_terms;
  // Every pair (layer1 < layer2), ordered by importance, largest first. Empty when the model has
  // one layer, or when a normalized model makes the terms non-additive (note says so).
  std::vector<VirtualHeadTerm> virtual_heads;
  std::string virtual_heads_note;
  // Models with MLPs: each MLP layer's output, frozen at its value on the text, is a term of its
  // own. Loss with that output removed minus the loss without removing it, at order 0 (its own
  // term: embedding and MLP outputs straight to the logits) and at full order (also every path
  // of heads reading it). [n_layers] each; empty in attention-only models.
  std::vector<double> mlp_term, mlp_all_terms;

  double order_loss(int k) const { return loss_by_order[size_t(k)]; }
  nlohmann::ordered_json to_json() const;
};

// windows [n_sequences, seq + 1] (inputs and next-token targets), seq <= n_ctx.
template <class T>
PathExpansion path_expansion(const Params<T>& params, const std::vector<int32_t>& windows,
                             int64_t n_sequences, int64_t seq, const PathExpansionOptions& options = {});

// The virtual head (layer1, head1) -> (layer2, head2) as a contribution to the final residual
// stream [B, T, d_model]: A^{h2} (A^{h1} x0 W_OV^{h1}) W_OV^{h2}. order1 is a pass at path order 1
// with frozen patterns (its heads read the embedding x0; its patterns are the clean ones).
template <class T>
std::vector<T> virtual_head_term(const Params<T>& params, const Activations<T>& order1, int layer1,
                                 int head1, int layer2, int head2);
// The same term before W_O^{h2}: z = A^{h2} (A^{h1} x0 W_OV^{h1}) W_V^{h2} [B, T, d_head].
template <class T>
std::vector<T> virtual_head_z(const Params<T>& params, const Activations<T>& order1, int layer1,
                              int head1, int layer2, int head2);

// Mean next-token loss of a final residual stream [rows, d_model] through W_U (models without
// normalization: the stream is what W_U reads).
template <class T>
double stream_loss(const Params<T>& params, const T* stream, const int32_t* targets, int64_t rows);

}  // namespace cs::analysis
