#include "analysis/circuits.h"

#include "core/error.h"
#include "data/tokenizer.h"

namespace cs::analysis {

namespace {

template <class T>
Mat to_mat(const T* p, int64_t rows, int64_t cols) {
  using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  return Eigen::Map<const RowMajor>(p, rows, cols).template cast<double>();
}

std::string block(int layer) { return "blocks." + std::to_string(layer) + "."; }

}  // namespace

void check_head(const Config& cfg, int layer, int head) {
  CS_CHECK(layer >= 0 && layer < cfg.n_layers,
           "layer " << layer << " out of range [0, " << cfg.n_layers << ")");
  CS_CHECK(head >= 0 && head < cfg.n_heads,
           "head " << head << " out of range [0, " << cfg.n_heads << ")");
}

template <class T>
HeadWeights head_weights(const Params<T>& p, int layer, int head) {
  check_head(p.cfg, layer, head);
  const int64_t D = p.cfg.d_model, K = p.cfg.d_head;
  const std::string b = block(layer) + "attn.";
  HeadWeights w;
  w.W_Q = to_mat(p[b + "W_Q"] + head * D * K, D, K);
  w.W_K = to_mat(p[b + "W_K"] + head * D * K, D, K);
  w.W_V = to_mat(p[b + "W_V"] + head * D * K, D, K);
  w.W_O = to_mat(p[b + "W_O"] + head * K * D, K, D);
  return w;
}

namespace {

// A weight that reads a normalized residual stream, [rows = d_model, cols] at W (one head's W_Q,
// W_K or W_V, or W_U): scaled by the LayerNorm's learned scale (none for LNPre), then centred over
// d_model. LayerNorm's output has zero mean over d_model, so the centring is exact: it only drops
// the part of W that reads the all-ones direction, which never carries anything.
template <class T>
void fold_reader(T* W, int64_t rows, int64_t cols, const T* scale) {
  for (int64_t c = 0; c < cols; ++c) {
    double mean = 0;
    for (int64_t d = 0; d < rows; ++d) {
      T& w = W[d * cols + c];
      if (scale) w *= scale[d];
      mean += double(w);
    }
    mean /= double(rows);
    for (int64_t d = 0; d < rows; ++d) W[d * cols + c] -= T(mean);
  }
}

// A weight that writes into the residual stream, one row per written vector (W_E, W_pos, W_O):
// each row centred over d_model. Every reader of the stream is behind a LayerNorm, which removes
// the mean, so the model computes the same function.
template <class T>
void center_writer(T* W, int64_t rows, int64_t d_model) {
  for (int64_t r = 0; r < rows; ++r) {
    T* row = W + r * d_model;
    double mean = 0;
    for (int64_t d = 0; d < d_model; ++d) mean += double(row[d]);
    mean /= double(d_model);
    for (int64_t d = 0; d < d_model; ++d) row[d] -= T(mean);
  }
}

}  // namespace

template <class T>
Params<T> fold_layer_norm(const Params<T>& p) {
  Params<T> out = p;
  if (!p.cfg.normalized()) return out;
  const bool learned = p.cfg.normalization_type == Normalization::LN;
  const int64_t D = p.cfg.d_model, K = p.cfg.d_head, H = p.cfg.n_heads, V = p.cfg.d_vocab;
  for (int l = 0; l < p.cfg.n_layers; ++l) {
    const T* scale = learned ? p[block(l) + "ln1.w"] : nullptr;
    for (const char* name : {"attn.W_Q", "attn.W_K", "attn.W_V"})
      for (int64_t h = 0; h < H; ++h) fold_reader(out[block(l) + name] + h * D * K, D, K, scale);
    center_writer(out[block(l) + "attn.W_O"], H * K, D);
  }
  fold_reader(out["unembed.W_U"], D, V, learned ? p["ln_final.w"] : nullptr);
  center_writer(out["embed.W_E"], V, D);
  // Shortformer and rotary positions reach the queries and keys without passing a LayerNorm.
  if (p.cfg.positional_embedding_type == Positions::standard) center_writer(out["pos_embed.W_pos"], p.cfg.n_ctx, D);
  return out;
}

std::string circuit_caveat(const Config& cfg) {
  std::string s;
  auto add = [&](const std::string& part) { s += (s.empty() ? "" : "; ") + part; };
  if (cfg.positional_embedding_type == Positions::standard)
    add("standard positions are added to the residual stream, so the token circuits leave out "
        "the positional part every head also reads and moves");
  if (cfg.positional_embedding_type == Positions::rotary)
    add("rotary positions: the token QK circuit is the attention score at offset 0");
  if (cfg.normalized())
    add("normalization " + to_string(cfg.normalization_type) +
        ": LayerNorm scales folded into the weights and the weights centred as TransformerLens does; "
        "circuits are exact up to each token's 1/scale");
  if (!cfg.attn_only())
    add("model with MLPs: as in TransformerLens, the circuits are the direct path through each "
        "head (W_E, the head's own weights, W_U); the MLPs are not on that path, so what a head "
        "does through them is not in these circuits");
  if (cfg.biases) add("biases are left out of the circuits (constant terms)");
  return s;
}

FactoredMatrix W_OV(const HeadWeights& w) { return FactoredMatrix(w.W_V, w.W_O); }
FactoredMatrix W_QK(const HeadWeights& w) { return FactoredMatrix(w.W_Q, w.W_K.transpose()); }

template <class T>
Mat W_E(const Params<T>& p) {
  return to_mat(p["embed.W_E"], p.cfg.d_vocab, p.cfg.d_model);
}

template <class T>
Mat W_pos(const Params<T>& p) {
  CS_CHECK(p.cfg.has_pos_embed(), "rotary models have no W_pos: no positional QK terms");
  return to_mat(p["pos_embed.W_pos"], p.cfg.n_ctx, p.cfg.d_model);
}

template <class T>
Mat W_U(const Params<T>& p) {
  return to_mat(p["unembed.W_U"], p.cfg.d_model, p.cfg.d_vocab);
}

template <class T>
FactoredMatrix OV_circuit(const Params<T>& p, int layer, int head) {
  const HeadWeights w = head_weights(p, layer, head);
  return FactoredMatrix(W_E(p) * w.W_V, w.W_O * W_U(p));
}

std::string to_string(QKPart part) {
  switch (part) {
    case QKPart::token_token:
      return "token_token";
    case QKPart::token_position:
      return "token_position";
    case QKPart::position_token:
      return "position_token";
    case QKPart::position_position:
      return "position_position";
  }
  return "?";
}

std::vector<QKPart> qk_parts(const Config& cfg) {
  if (!cfg.has_pos_embed()) return {QKPart::token_token};
  return {QKPart::token_token, QKPart::token_position, QKPart::position_token,
          QKPart::position_position};
}

std::string qk_label(const Config& cfg) {
  return cfg.has_pos_embed() ? "token QK circuit W_E W_QK W_E^T"
                             : "token QK circuit W_E W_QK W_E^T at offset 0 (rotary positions)";
}

template <class T>
FactoredMatrix QK_circuit(const Params<T>& p, int layer, int head, QKPart part) {
  const HeadWeights w = head_weights(p, layer, head);
  const bool pos_dest = part == QKPart::position_token || part == QKPart::position_position;
  const bool pos_src = part == QKPart::token_position || part == QKPart::position_position;
  CS_CHECK(!(pos_dest || pos_src) || p.cfg.has_pos_embed(),
           "QK part " << to_string(part) << " needs learned positions; this model uses "
                      << to_string(p.cfg.positional_embedding_type));
  const Mat dest = pos_dest ? W_pos(p) : W_E(p);
  const Mat src = pos_src == pos_dest ? dest : pos_src ? W_pos(p) : W_E(p);
  return FactoredMatrix(dest * w.W_Q, w.W_K.transpose() * src.transpose());
}

template <class T>
FactoredMatrix direct_path(const Params<T>& p) {
  return FactoredMatrix(W_E(p), W_U(p));
}

std::string token_string(int64_t id, const data::Tokenizer* tokenizer) {
  if (tokenizer && id >= 0 && id < tokenizer->d_vocab()) return tokenizer->piece(int32_t(id));
  std::string s = std::to_string(id);
  s.insert(s.begin(), '#');
  return s;
}

std::vector<TokenEntry> top_k_tokens(const FactoredMatrix& circuit, Axis axis, int64_t index,
                                     int64_t k, const data::Tokenizer* tokenizer, bool largest) {
  const std::vector<Entry> entries = axis == Axis::row ? circuit.top_k_row(index, k, largest)
                                                       : circuit.top_k_column(index, k, largest);
  std::vector<TokenEntry> out;
  for (const Entry& e : entries)
    out.push_back({e.index, token_string(e.index, tokenizer), e.value});
  return out;
}

#define CS_INSTANTIATE(T)                                                 \
  template HeadWeights head_weights(const Params<T>&, int, int);          \
  template Params<T> fold_layer_norm(const Params<T>&);                   \
  template Mat W_E(const Params<T>&);                                     \
  template Mat W_pos(const Params<T>&);                                   \
  template Mat W_U(const Params<T>&);                                     \
  template FactoredMatrix OV_circuit(const Params<T>&, int, int);         \
  template FactoredMatrix QK_circuit(const Params<T>&, int, int, QKPart); \
  template FactoredMatrix direct_path(const Params<T>&);
CS_INSTANTIATE(float)
CS_INSTANTIATE(double)
#undef CS_INSTANTIATE

}  // namespace cs::analysis
