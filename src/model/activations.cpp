#include "model/activations.h"

#include <algorithm>
#include <numeric>

#include "core/error.h"
#include "core/gemm.h"
#include "model/params.h"

namespace cs {

template <class T>
Activations<T>::Activations(const Config& c, int64_t batch, int64_t seq, bool keep)
    : cfg(c), B(batch), Tn(seq), keep_logits(keep) {
  c.validate();
  CS_CHECK(batch >= 1, "batch must be >= 1, got " << batch);
  CS_CHECK(seq >= 1 && seq <= c.n_ctx,
           "sequence length " << seq << " must be between 1 and n_ctx = " << c.n_ctx);
  const int64_t L = c.n_layers, D = c.d_model, H = c.n_heads, K = c.d_head, R = B * Tn;
  tokens.assign(R, 0);
  targets.assign(R, 0);
  resid.assign(L + 1, std::vector<T>(R * D));
  if (c.normalized()) {
    normalized.assign(L + 1, std::vector<T>(R * D));
    ln_mean.assign(L + 1, std::vector<T>(R));
    ln_rstd.assign(L + 1, std::vector<T>(R));
  }
  if (c.positional_embedding_type == Positions::shortformer)
    qk_in.assign(L, std::vector<T>(R * D));
  qkv.assign(L, std::vector<T>(R * 3 * H * K));
  pattern.assign(L, LineVector<T>(B * H * Tn * Tn));
  z.assign(L, std::vector<T>(R * H * K));
  if (!c.attn_only()) {
    const int64_t M = c.d_mlp;
    attn_out.assign(L, std::vector<T>(R * D));
    if (!c.parallel_attn_mlp) resid_mid.assign(L, std::vector<T>(R * D));
    if (c.normalized()) {
      normalized2.assign(L, std::vector<T>(R * D));
      ln2_mean.assign(L, std::vector<T>(R));
      ln2_rstd.assign(L, std::vector<T>(R));
    }
    mlp_pre.assign(L, std::vector<T>(R * M));
    mlp_post.assign(L, std::vector<T>(R * M));
    mlp_out.assign(L, std::vector<T>(R * D));
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
  std::vector<std::string> names = {"hook_embed"};
  for (int l = 0; l < cfg.n_layers; ++l) {
    const std::string p = "blocks." + std::to_string(l) + ".";
    names.push_back(p + "hook_resid_pre");
    if (cfg.normalized()) names.push_back(p + "ln1.hook_normalized");
    for (const char* n : {"hook_q", "hook_k", "hook_v", "hook_pattern", "hook_z"})
      names.push_back(p + "attn." + n);
    if (!cfg.attn_only()) {
      names.push_back(p + "hook_attn_out");
      if (!cfg.parallel_attn_mlp) names.push_back(p + "hook_resid_mid");
      if (cfg.normalized()) names.push_back(p + "ln2.hook_normalized");
      for (const char* n : {"mlp.hook_pre", "mlp.hook_post", "hook_mlp_out"}) names.push_back(p + n);
    }
    names.push_back(p + "hook_resid_post");
  }
  if (cfg.normalized()) names.push_back("ln_final.hook_normalized");
  if (keep_logits) names.push_back("hook_logits");
  names.push_back("hook_loss");
  return names;
}

template <class T>
HookTensor<T> Activations<T>::hook(const std::string& name) const {
  const int64_t L = cfg.n_layers, D = cfg.d_model, H = cfg.n_heads, K = cfg.d_head;
  auto copy = [](const auto& v, std::vector<int64_t> shape) {
    return HookTensor<T>{std::move(shape), std::vector<T>(v.begin(), v.end())};
  };
  if (name == "hook_embed") return copy(resid[0], {B, Tn, D});
  if (name == "hook_loss") return copy(loss, {B, Tn});
  if (name == "hook_logits" && keep_logits) return copy(logits, {B, Tn, cfg.d_vocab});
  if (name == "ln_final.hook_normalized" && cfg.normalized()) return copy(normalized[L], {B, Tn, D});
  for (int l = 0; l < L; ++l) {
    const std::string p = "blocks." + std::to_string(l) + ".";
    if (name == p + "hook_resid_pre") return copy(resid[l], {B, Tn, D});
    if (name == p + "hook_resid_post") return copy(resid[l + 1], {B, Tn, D});
    if (name == p + "ln1.hook_normalized" && cfg.normalized()) return copy(normalized[l], {B, Tn, D});
    if (name == p + "attn.hook_pattern") return copy(pattern[l], {B, H, Tn, Tn});
    if (name == p + "attn.hook_z") return copy(z[l], {B, Tn, H, K});
    if (!cfg.attn_only()) {
      const int64_t M = cfg.d_mlp;
      if (name == p + "hook_attn_out") return copy(attn_out[l], {B, Tn, D});
      if (name == p + "hook_resid_mid" && !cfg.parallel_attn_mlp) return copy(resid_mid[l], {B, Tn, D});
      if (name == p + "ln2.hook_normalized" && cfg.normalized()) return copy(normalized2[l], {B, Tn, D});
      if (name == p + "mlp.hook_pre") return copy(mlp_pre[l], {B, Tn, M});
      if (name == p + "mlp.hook_post") return copy(mlp_post[l], {B, Tn, M});
      if (name == p + "hook_mlp_out") return copy(mlp_out[l], {B, Tn, D});
    }
    for (int slot = 0; slot < 3; ++slot) {
      if (name != p + "attn.hook_" + "qkv"[slot]) continue;
      HookTensor<T> out{{B, Tn, H, K}, std::vector<T>(B * Tn * H * K)};
      for (int64_t r = 0; r < B * Tn; ++r)
        std::copy_n(qkv[l].data() + r * 3 * H * K + slot * H * K, H * K, out.data.data() + r * H * K);
      return out;
    }
  }
  fail("no cached activation named '" + name + "'");
}

template <class T>
HookTensor<T> Activations<T>::head_result(const Params<T>& params, int layer) const {
  CS_CHECK(layer >= 0 && layer < cfg.n_layers,
           "layer " << layer << " out of range [0, " << cfg.n_layers << ")");
  const int64_t D = cfg.d_model, H = cfg.n_heads, K = cfg.d_head, R = rows();
  HookTensor<T> out{{B, Tn, H, D}, std::vector<T>(R * H * D)};
  const T* W_O = params.ptr(params.layout.blocks[layer].W_O);
  for (int64_t h = 0; h < H; ++h)
    gemm<T>(false, false, R, D, K, T(1), z[layer].data() + h * K, H * K, W_O + h * K * D, D, T(0),
            out.data.data() + h * D, H * D);
  return out;
}

template <class T>
T Activations<T>::mean_loss() const {
  double s = std::accumulate(loss.begin(), loss.end(), 0.0);
  return T(s / double(loss.size()));
}

template struct Activations<float>;
template struct Activations<double>;

}  // namespace cs
