#pragma once
// The circuits of one attention head (docs/circuits.md), kept factored: W_OV = W_V W_O and
// W_QK = W_Q W_K^T are d_model x d_model of rank d_head; the token-level OV circuit
// W_E W_OV W_U and QK circuit W_E W_QK W_E^T are d_vocab x d_vocab, held as their [d_vocab, d_head]
// and [d_head, d_vocab] factors. Row-vector convention throughout (x W), as the weights are stored.
#include <cstdint>
#include <string>
#include <vector>

#include "analysis/factored.h"
#include "model/params.h"

namespace cs::data {
class Tokenizer;
}

namespace cs::analysis {

// Throws "layer 3 out of range [0, 2)" / "head 9 out of range [0, 8)".
void check_head(const Config& cfg, int layer, int head);

// One head's weights in double: W_Q, W_K, W_V [d_model, d_head], W_O [d_head, d_model].
struct HeadWeights {
  Mat W_Q, W_K, W_V, W_O;
};

template <class T>
HeadWeights head_weights(const Params<T>& params, int layer, int head);

// What TransformerLens does on loading a normalized model (fold_ln, then center_writing_weights),
// on a copy: each LayerNorm's learned scale (LN) moves into the weights that read its output
// (W_Q, W_K, W_V of that layer; W_U for ln_final), those reading weights are centred over d_model,
// and the weights writing into the residual stream (W_E, W_O, and W_pos for standard positions)
// have their mean over d_model removed. The LayerNorm biases only shift scores by constants and
// are left out. Without normalization it is a plain copy. Circuits of a normalized model are
// exact only up to each token's 1/scale (docs/circuits.md).
template <class T>
Params<T> fold_layer_norm(const Params<T>& params);

// What a reader must know about how exact the token circuits are for this config.
std::string circuit_caveat(const Config& cfg);

FactoredMatrix W_OV(const HeadWeights& w);  // W_V W_O
FactoredMatrix W_QK(const HeadWeights& w);  // W_Q W_K^T

// W_E [d_vocab, d_model], W_pos [n_ctx, d_model], W_U [d_model, d_vocab] in double.
template <class T>
Mat W_E(const Params<T>& params);
template <class T>
Mat W_pos(const Params<T>& params);  // error for rotary models: they have none
template <class T>
Mat W_U(const Params<T>& params);

// OV^h = W_E W_OV W_U [d_vocab(source), d_vocab(output)] as (W_E W_V)(W_O W_U).
template <class T>
FactoredMatrix OV_circuit(const Params<T>& params, int layer, int head);

// The four parts of the attention score when the query and key read tokens and positions.
// token_token is the QK circuit of docs/circuits.md [d_vocab(destination), d_vocab(source)]; the
// others put W_pos in place of W_E on the destination side, the source side, or both. With rotary
// positions only token_token exists, and it is the score at offset 0 (qk_label says so).
enum class QKPart { token_token, token_position, position_token, position_position };
std::string to_string(QKPart part);

template <class T>
FactoredMatrix QK_circuit(const Params<T>& params, int layer, int head,
                          QKPart part = QKPart::token_token);

// Which QK parts this config has, and how the token part must be read.
std::vector<QKPart> qk_parts(const Config& cfg);
std::string qk_label(const Config& cfg);

// Direct path W_E W_U [d_vocab, d_vocab] (bigram statistics), factored through d_model.
template <class T>
FactoredMatrix direct_path(const Params<T>& params);

// A top-k table over a circuit's row or column, with the tokens' display strings.
struct TokenEntry {
  int64_t id = 0;
  std::string token;
  double value = 0;
};

enum class Axis { row, column };

// Token strings come from `tokenizer` when given, otherwise "#id".
std::vector<TokenEntry> top_k_tokens(const FactoredMatrix& circuit, Axis axis, int64_t index,
                                     int64_t k, const data::Tokenizer* tokenizer,
                                     bool largest = true);
std::string token_string(int64_t id, const data::Tokenizer* tokenizer);

}  // namespace cs::analysis
