#include "model/activations.h"

#include <algorithm>
#include <numeric>

#include "core/error.h"
#include "core/gemm.h"
#include "model/ops/projections.h"
#include "model/params.h"

namespace cs {

template <class T>
Activations<T>::Activations(const Config& c, int64_t batch, int64_t seq, bool keep_l, Keep k)
    : cfg(c), B(batch), Tn(seq), keep_logits(keep_l), keep(k) {
  c.validate();
  CS_CHECK(batch >= 1, "batch must be >= 1, got " << batch);
  CS_CHECK(seq >= 1 && seq <= c.n_ctx,
           "sequence length " << seq << " must be between 1 and n_ctx = " << c.n_ctx);
  const int64_t L = c.n_layers, D = c.d_model, H = c.n_heads, K = c.d_head, R = B * Tn;
  // Keeping only the current layer: the stream in and out of a block, one buffer for the rest.
  const size_t one = k == Keep::current_layer ? 1 : 0, two = k == Keep::current_layer ? 2 : 0;
  tokens.assign(R, 0);
  targets.assign(R, 0);
  resid.assign(L + 1, std::vector<T>(R * D), two);
  if (c.normalized()) {
    normalized.assign(L + 1, std::vector<T>(R * D), one);
    ln_mean.assign(L + 1, std::vector<T>(R), one);
    ln_rstd.assign(L + 1, std::vector<T>(R), one);
  }
  if (c.positional_embedding_type == Positions::shortformer)
    qk_in.assign(L, std::vector<T>(R * D), one);
  qkv.assign(L, std::vector<T>(R * 3 * H * K), one);
  pattern.assign(L, LineVector<T>(B * H * Tn * Tn), one);
  z.assign(L, std::vector<T>(R * H * K), one);
  if (!c.attn_only()) {
    const int64_t M = c.d_mlp;
    attn_out.assign(L, std::vector<T>(R * D), one);
    if (!c.parallel_attn_mlp) resid_mid.assign(L, std::vector<T>(R * D), one);
    if (c.normalized()) {
      normalized2.assign(L, std::vector<T>(R * D), one);
      ln2_mean.assign(L, std::vector<T>(R), one);
      ln2_rstd.assign(L, std::vector<T>(R), one);
    }
    mlp_pre.assign(L, std::vector<T>(R * M), one);
    mlp_post.assign(L, std::vector<T>(R * M), one);
    mlp_out.assign(L, std::vector<T>(R * D), one);
  }
  loss.assign(R, T(0));
  if (keep_logits) logits.assign(R * c.d_vocab, T(0));
  packed.assign(L * D * 3 * H * K, T(0));
  if (c.biases) packed_bias.assign(L * 3 * H * K, T(0));
  if (c.positional_embedding_type == Positions::rotary)
    rotary = RotaryTable<T>(c.n_ctx, c.rotary_dims(), c.rotary_base);
  attention_scratch = AttentionScratch<T>(Tn, K);
  unembed_scratch = UnembedScratch<T>(R, c.d_vocab);
}

template <class T>
void Activations<T>::set_windows(const int32_t* windows) {
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < Tn; ++t) {
      tokens[b * Tn + t] = windows[b * (Tn + 1) + t];
      targets[b * Tn + t] = windows[b * (Tn + 1) + t + 1];
    }
  has_targets = true;
  for (int64_t i = 0; i < rows(); ++i)
    CS_CHECK(tokens[i] >= 0 && tokens[i] < cfg.d_vocab && targets[i] >= 0 && targets[i] < cfg.d_vocab,
             "token id outside the vocabulary [0, " << cfg.d_vocab << ") at position " << i);
}

template <class T>
void Activations<T>::set_tokens(const int32_t* toks) {
  std::copy(toks, toks + rows(), tokens.begin());
  has_targets = false;
  for (int64_t i = 0; i < rows(); ++i)
    CS_CHECK(tokens[i] >= 0 && tokens[i] < cfg.d_vocab,
             "token id " << tokens[i] << " outside the vocabulary [0, " << cfg.d_vocab << ")");
}

template <class T>
const T* Activations<T>::attn_input(int layer) const {
  return cfg.normalized() ? normalized[layer].data() : resid[layer].data();
}

template <class T>
const T* Activations<T>::final_input() const {
  return cfg.normalized() ? normalized[cfg.n_layers].data() : resid[cfg.n_layers].data();
}

template <class T>
const T* Activations<T>::mlp_stream(int layer) const {
  return cfg.parallel_attn_mlp ? resid[layer].data() : resid_mid[layer].data();
}

template <class T>
const T* Activations<T>::mlp_input(int layer) const {
  return cfg.normalized() ? normalized2[layer].data() : mlp_stream(layer);
}

template <class T>
std::vector<std::string> Activations<T>::hook_names() const {
  std::vector<std::string> names;
  for (const HookPoint& p : hook_points(cfg, B, Tn))
    if (p.kept && (p.site != HookSite::logits || keep_logits)) names.push_back(p.name);
  return names;
}

template <class T>
HookTensor<T> Activations<T>::hook(const std::string& name) const {
  const std::vector<HookPoint> points = hook_points(cfg, B, Tn);
  const HookPoint* p = find_hook_point(points, name);
  CS_CHECK(p, "no hook point named '" << name << "' in this model");
  CS_CHECK(keep == Keep::every_layer || p->site == HookSite::logits || p->site == HookSite::ln_final,
           name << ": this pass kept only the layer it was computing (Keep::current_layer)");
  const HookView<T> v = view(*p);
  HookTensor<T> out{v.shape, {}};
  int64_t n = 1;
  for (int64_t d : v.shape) n *= d;
  out.data.resize(size_t(n));
  copy_view(v, out.data.data());
  return out;
}

template <class T>
HookView<T> Activations<T>::qkv_slot(int layer, int slot) const {
  const int64_t H = cfg.n_heads, K = cfg.d_head;
  return {const_cast<T*>(qkv[size_t(layer)].data()) + slot * H * K, {B, Tn, H, K}, {Tn * 3 * H * K, 3 * H * K, K, 1}};
}

template <class T>
HookView<T> Activations<T>::view(const HookPoint& p) const {
  CS_CHECK(p.kept && (p.site != HookSite::logits || keep_logits),
           p.name << " is not kept after a pass; a hook sees it while the pass runs (model/hooks.h)");
  const int l = p.layer, L = cfg.n_layers;
  auto dense = [&](const auto& v) { return HookView<T>{const_cast<T*>(v.data()), p.shape, dense_strides(p.shape)}; };
  switch (p.site) {
    case HookSite::embed: return dense(resid[0]);  // kept only when no positions are added to it
    case HookSite::resid_pre: return dense(resid[l]);
    case HookSite::ln1_normalized: return dense(normalized[l]);
    case HookSite::q: case HookSite::rot_q: return qkv_slot(l, 0);
    case HookSite::k: case HookSite::rot_k: return qkv_slot(l, 1);
    case HookSite::v: return qkv_slot(l, 2);
    case HookSite::pattern: return dense(pattern[l]);
    case HookSite::z: return dense(z[l]);
    case HookSite::attn_out: return dense(attn_out[l]);
    case HookSite::resid_mid: return dense(resid_mid[l]);
    case HookSite::ln2_normalized: return dense(normalized2[l]);
    case HookSite::mlp_pre: return dense(mlp_pre[l]);
    case HookSite::mlp_post: return dense(mlp_post[l]);
    case HookSite::mlp_out: return dense(mlp_out[l]);
    case HookSite::resid_post: return dense(resid[l + 1]);
    case HookSite::ln_final: return dense(normalized[L]);
    case HookSite::logits: return dense(logits);
    default: fail(p.name + " has no buffer in the Activations");
  }
}

template <class T>
HookTensor<T> Activations<T>::head_result(const Params<T>& params, int layer) const {
  CS_CHECK(layer >= 0 && layer < cfg.n_layers,
           "layer " << layer << " out of range [0, " << cfg.n_layers << ")");
  const int64_t D = cfg.d_model, H = cfg.n_heads, K = cfg.d_head, R = rows();
  HookTensor<T> out{{B, Tn, H, D}, std::vector<T>(R * H * D)};
  head_results_forward(z[layer].data(), params.ptr(params.layout.blocks[layer].W_O), out.data.data(), R, H, K, D);
  return out;
}

template <class T>
size_t Activations<T>::bytes() const {
  auto vec = [](const auto& v) { return v.size() * sizeof(v[0]); };
  size_t n = vec(tokens) + vec(targets) + vec(loss) + vec(logits) + vec(packed) + vec(packed_bias) +
             vec(unembed_scratch.logits) + vec(attention_scratch.buf) + vec(rotary.sin) + vec(rotary.cos);
  for (const auto* layers : {&resid, &normalized, &ln_mean, &ln_rstd, &qk_in, &qkv, &z, &attn_out, &resid_mid,
                             &normalized2, &ln2_mean, &ln2_rstd, &mlp_pre, &mlp_post, &mlp_out})
    n += layers->bytes();
  return n + pattern.bytes();
}

template <class T>
T Activations<T>::mean_loss() const {
  double s = std::accumulate(loss.begin(), loss.end(), 0.0);
  return T(s / double(loss.size()));
}

template struct Activations<float>;
template struct Activations<double>;

}  // namespace cs
