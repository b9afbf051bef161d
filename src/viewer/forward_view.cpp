#include "viewer/forward_view.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "data/utf8.h"
#include "model/forward.h"
#include "viewer/api_error.h"

namespace cs::viewer {

namespace {

constexpr const char* kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the UTF-8 sequence a lead byte starts; 0 for a byte that cannot start one.
size_t sequence_length(unsigned char b) {
  if (b < 0x80) return 1;
  if (b >= 0xC2 && b <= 0xDF) return 2;
  if (b >= 0xE0 && b <= 0xEF) return 3;
  if (b >= 0xF0 && b <= 0xF4) return 4;
  return 0;
}

}  // namespace

std::vector<std::string> token_texts(const data::Tokenizer& tok, const std::vector<int32_t>& ids) {
  std::vector<std::string> out(ids.size());
  std::string pending;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] == tok.bos_id()) continue;
    pending += tok.decode({ids[i]});
    size_t k = 0;
    while (k < pending.size()) {
      const size_t n = sequence_length(static_cast<unsigned char>(pending[k]));
      if (n == 0) {
        out[i] += kReplacement;
        ++k;
        continue;
      }
      if (k + n > pending.size()) {
        // Incomplete: wait for the next token unless the bytes so far already break it.
        bool ok = true;
        for (size_t j = k + 1; j < pending.size(); ++j) ok &= (static_cast<unsigned char>(pending[j]) & 0xC0) == 0x80;
        if (ok) break;
        out[i] += kReplacement;
        ++k;
        continue;
      }
      const std::string_view seq(pending.data() + k, n);
      if (data::find_invalid_utf8(seq) == std::string::npos) {
        out[i] += seq;
        k += n;
      } else {
        out[i] += kReplacement;
        ++k;
      }
    }
    pending.erase(0, k);
  }
  for (size_t k = 0; k < pending.size(); ++k) out.back() += kReplacement;
  return out;
}

ForwardView::ForwardView(std::shared_ptr<const run::Snapshot> snapshot, const data::Tokenizer& tok,
                         const std::string& text)
    : snap_(std::move(snapshot)) {
  const auto t0 = std::chrono::steady_clock::now();
  const Config& c = cfg();
  std::vector<int32_t> ids = {int32_t(tok.bos_id())};
  const std::vector<int32_t> body = tok.encode(text);
  if (int64_t(body.size()) + 1 > c.n_ctx)
    throw ApiError(400, "the text is " + std::to_string(body.size()) + " tokens long; this model reads " +
                            std::to_string(c.n_ctx) + " positions (n_ctx), so at most " +
                            std::to_string(c.n_ctx - 1) + " tokens fit after BOS");
  ids.insert(ids.end(), body.begin(), body.end());
  for (int32_t id : ids)
    if (id < 0 || id >= c.d_vocab)
      throw ApiError(400, "token " + std::to_string(id) + " is outside the model's vocabulary [0, " +
                              std::to_string(c.d_vocab) + ")");
  const std::vector<std::string> texts = token_texts(tok, ids);
  for (size_t i = 0; i < ids.size(); ++i) tokens.push_back({ids[i], texts[i], tok.piece(ids[i])});

  const int64_t T = int64_t(ids.size()), V = c.d_vocab;
  acts_ = std::make_unique<Activations<float>>(c, 1, T, true);
  acts_->set_tokens(ids.data());
  forward(snap_->params, *acts_);

  lse_.resize(size_t(T));
  loss.assign(size_t(T), std::numeric_limits<double>::quiet_NaN());
  n_top_ = std::min<int64_t>(kMaxPredictions, V);
  top_.resize(size_t(T * n_top_));
  std::vector<int32_t> order(static_cast<size_t>(V));
  for (int64_t t = 0; t < T; ++t) {
    const float* row = acts_->logits.data() + t * V;
    const double m = *std::max_element(row, row + V);
    double s = 0;
    for (int64_t v = 0; v < V; ++v) s += std::exp(double(row[v]) - m);
    lse_[size_t(t)] = m + std::log(s);
    if (t + 1 < T) loss[size_t(t + 1)] = lse_[size_t(t)] - double(row[ids[size_t(t + 1)]]);
    for (int64_t v = 0; v < V; ++v) order[size_t(v)] = int32_t(v);
    auto higher = [&](int32_t a, int32_t b) { return row[a] > row[b] || (row[a] == row[b] && a < b); };
    std::nth_element(order.begin(), order.begin() + (n_top_ - 1), order.end(), higher);
    std::sort(order.begin(), order.begin() + n_top_, higher);
    for (int64_t i = 0; i < n_top_; ++i) {
      const int32_t id = order[size_t(i)];
      top_[size_t(t * n_top_ + i)] = {id, double(row[id]), std::exp(double(row[id]) - lse_[size_t(t)])};
    }
  }
  acts_->logits = std::vector<float>();
  if (c.n_layers >= 3 && !c.normalized()) {
    order1_ = std::make_unique<Activations<float>>(c, 1, T, false);
    order1_->set_tokens(ids.data());
    Interventions<float> iv;
    iv.freeze_patterns = acts_.get();
    iv.max_path_order = 1;
    forward(snap_->params, *order1_, &iv);
  }
  seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

const float* ForwardView::pattern(int layer, int head) const {
  const int64_t T = size();
  return acts_->pattern[size_t(layer)].data() + int64_t(head) * T * T;
}

std::vector<Prediction> ForwardView::predictions(int64_t position, int k) const {
  const Prediction* row = top_.data() + position * n_top_;
  return {row, row + std::clamp<int64_t>(k, 0, n_top_)};
}

double ForwardView::logit(int64_t p, int32_t token) const {
  const Config& c = cfg();
  const float* x = acts_->final_input() + p * c.d_model;
  const float* W_U = snap_->params["unembed.W_U"];
  double s = c.biases ? double(snap_->params["unembed.b_U"][token]) : 0.0;
  for (int64_t d = 0; d < c.d_model; ++d) s += double(x[d]) * double(W_U[d * c.d_vocab + token]);
  return s;
}

double Attribution::sum() const {
  double s = direct + bias;
  for (double h : heads) s += h;
  for (double m : mlps) s += m;
  return s;
}

namespace {

double dot(const float* x, const double* y, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += double(x[i]) * y[i];
  return s;
}

// W_O^h x [K] for a stream vector x [D]: z^h . (W_O^h x) is head h's output dotted with x.
void through_W_O(const float* W_O, int h, const double* x, int64_t K, int64_t D, double* out) {
  for (int64_t k = 0; k < K; ++k) out[k] = dot(W_O + (int64_t(h) * K + k) * D, x, D);
}

// sum over j <= p of A[p, j] term(j), A the frozen pattern: terms of zero weight are not computed.
template <class Term>
double attended(const float* A, int64_t p, Term term) {
  double s = 0;
  for (int64_t j = 0; j <= p; ++j)
    if (A[j] != 0.f) s += double(A[j]) * term(j);
  return s;
}

// o^{l,h} = W_O^{l,h} u [K], [L * H]: a head's term is z^{l,h}[p] . o, and a head before it
// reaches the logit through o too.
std::vector<std::vector<double>> head_readouts(const Params<float>& w, const std::vector<double>& u) {
  const Config& c = w.cfg;
  const int L = c.n_layers, H = c.n_heads;
  std::vector<std::vector<double>> o(size_t(L * H), std::vector<double>(size_t(c.d_head)));
  for (int l = 0; l < L; ++l) {
    const float* W_O = w["blocks." + std::to_string(l) + ".attn.W_O"];
    for (int h = 0; h < H; ++h) through_W_O(W_O, h, u.data(), c.d_head, c.d_model, o[size_t(l * H + h)].data());
  }
  return o;
}

}  // namespace

Attribution ForwardView::attribution_target(int64_t p, std::optional<int32_t> token) const {
  const int64_t T = size(), V = cfg().d_vocab;
  if (p < 0 || p >= T)
    throw ApiError(400, "position " + std::to_string(p) + " is outside the text's " + std::to_string(T) +
                            " positions [0, " + std::to_string(T - 1) + "]");
  if (token && (*token < 0 || *token >= V))
    throw ApiError(400, "token " + std::to_string(*token) + " is outside the vocabulary [0, " +
                            std::to_string(V) + ")");
  Attribution a;
  a.position = p;
  if (token) {
    a.token = *token;
    a.target = "chosen";
  } else if (p + 1 < T) {
    a.token = tokens[size_t(p + 1)].id;
    a.target = "next token";
  } else {
    a.token = predictions(p, 1).front().id;
    a.target = "top prediction";
  }
  a.logit = logit(p, a.token);
  a.probability = std::exp(a.logit - lse_[size_t(p)]);
  return a;
}

// With a final LayerNorm its scale at this position is frozen, so the readout stays linear:
// centring moves into the direction, and the LayerNorm's bias is a term of its own.
std::vector<double> ForwardView::readout_direction(int64_t p, int32_t token, double& bias) const {
  const Config& c = cfg();
  const Params<float>& w = snap_->params;
  const int64_t D = c.d_model, V = c.d_vocab;
  const float* W_U = w["unembed.W_U"];
  std::vector<double> u(static_cast<size_t>(D));
  for (int64_t d = 0; d < D; ++d) u[size_t(d)] = double(W_U[d * V + token]);
  if (!c.normalized()) return u;
  const double rstd = double(acts_->ln_rstd[size_t(c.n_layers)][size_t(p)]);
  const float* ln_w = c.has_ln_params() ? w["ln_final.w"] : nullptr;
  if (c.has_ln_params()) {
    const float* ln_b = w["ln_final.b"];
    for (int64_t d = 0; d < D; ++d) bias += double(ln_b[d]) * u[size_t(d)];
  }
  double mean = 0;
  for (int64_t d = 0; d < D; ++d) mean += (u[size_t(d)] *= ln_w ? double(ln_w[d]) : 1.0);
  mean /= double(D);
  for (double& x : u) x = rstd * (x - mean);
  return u;
}

// The constant terms of a model with biases: b_U[token] and each layer's b_O read out along u.
double ForwardView::bias_terms(int32_t token, const std::vector<double>& u) const {
  const Config& c = cfg();
  if (!c.biases) return 0.0;
  const Params<float>& w = snap_->params;
  double s = double(w["unembed.b_U"][token]);
  for (int l = 0; l < c.n_layers; ++l) s += dot(w["blocks." + std::to_string(l) + ".attn.b_O"], u.data(), c.d_model);
  return s;
}

// A later head h2 reads the stream through g = W_V^{h2} o^{h2} [D]: its term from a source
// vector x at position j, weighted by its frozen pattern, is A^{h2}[p, j] x . g.
void ForwardView::add_virtual_heads(int64_t p, const std::vector<std::vector<double>>& o, Attribution& a) const {
  const Config& c = cfg();
  const Params<float>& w = snap_->params;
  const int64_t D = c.d_model, K = c.d_head;
  const int L = c.n_layers, H = c.n_heads;
  a.embedding_terms.assign(size_t(L * H), 0.0);
  const float* x0 = acts_->resid[0].data();
  std::vector<double> g(static_cast<size_t>(D)), q(static_cast<size_t>(K));
  for (int l2 = 1; l2 < L; ++l2) {
    const float* W_V = w["blocks." + std::to_string(l2) + ".attn.W_V"];
    for (int h2 = 0; h2 < H; ++h2) {
      const std::vector<double>& oh = o[size_t(l2 * H + h2)];
      for (int64_t d = 0; d < D; ++d) g[size_t(d)] = dot(W_V + (int64_t(h2) * D + d) * K, oh.data(), K);
      const float* A = pattern(l2, h2) + p * size();
      a.embedding_terms[size_t(l2 * H + h2)] = attended(A, p, [&](int64_t j) { return dot(x0 + j * D, g.data(), D); });
      for (int l1 = 0; l1 < l2; ++l1) {
        // The first leg reads the embedding alone: in layer 0 that is the clean pass.
        const float* z1 = (l1 == 0 || !order1_ ? *acts_ : *order1_).z[size_t(l1)].data();
        const float* W_O1 = w["blocks." + std::to_string(l1) + ".attn.W_O"];
        for (int h1 = 0; h1 < H; ++h1) {
          through_W_O(W_O1, h1, g.data(), K, D, q.data());
          const double v = attended(A, p, [&](int64_t j) { return dot(z1 + (j * H + h1) * K, q.data(), K); });
          a.virtual_heads.push_back({l1, h1, l2, h2, v});
        }
      }
    }
  }
  std::stable_sort(a.virtual_heads.begin(), a.virtual_heads.end(),
                   [](const Attribution::Virtual& x, const Attribution::Virtual& y) {
                     return std::abs(x.value) > std::abs(y.value);
                   });
}

Attribution ForwardView::attribution(int64_t p, std::optional<int32_t> token) const {
  const Config& c = cfg();
  const int64_t D = c.d_model, K = c.d_head;
  const int L = c.n_layers, H = c.n_heads;
  Attribution a = attribution_target(p, token);
  const std::vector<double> u = readout_direction(p, a.token, a.bias);
  a.bias += bias_terms(a.token, u);
  a.direct = dot(acts_->resid[0].data() + p * D, u.data(), D);
  const std::vector<std::vector<double>> o = head_readouts(snap_->params, u);
  a.heads.assign(size_t(L * H), 0.0);
  for (int l = 0; l < L; ++l)
    for (int h = 0; h < H; ++h)
      a.heads[size_t(l * H + h)] = dot(acts_->z[size_t(l)].data() + (p * H + h) * K, o[size_t(l * H + h)].data(), K);

  if (!c.attn_only()) {
    for (int l = 0; l < L; ++l) a.mlps.push_back(dot(acts_->mlp_out[size_t(l)].data() + p * D, u.data(), D));
    a.note = "model with MLPs: each MLP layer's output is a bar of its own, and a head's bar is its "
             "output's direct path (what it does through a later MLP is in that MLP's bar); no virtual heads";
    return a;
  }
  if (L < 2) {
    a.note = L == 0 ? "no layers: the direct path is the whole logit" : "one layer: no virtual heads";
    return a;
  }
  if (c.normalized()) {
    a.note = "normalized model: each layer's LayerNorm scale depends on every term, so heads' "
             "terms through earlier heads are not separable; totals per head only";
    return a;
  }
  add_virtual_heads(p, o, a);
  if (L > 2)
    a.note = "three or more layers: a head's total also holds paths through two or more earlier "
             "heads, beyond its embedding term and its virtual heads";
  return a;
}

}  // namespace cs::viewer
