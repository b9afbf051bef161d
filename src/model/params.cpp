#include "model/params.h"

#include <cmath>

#include "core/error.h"
#include "core/rng.h"

namespace cs {

ParamLayout::ParamLayout(const Config& c) {
  const int64_t D = c.d_model, H = c.n_heads, K = c.d_head;
  W_E = add("embed.W_E", {c.d_vocab, D});
  if (c.has_pos_embed()) W_pos = add("pos_embed.W_pos", {c.n_ctx, D});
  for (int l = 0; l < c.n_layers; ++l) {
    const std::string p = "blocks." + std::to_string(l) + ".";
    Block b;
    if (c.has_ln_params()) {
      b.ln1_w = add(p + "ln1.w", {D}, false);
      b.ln1_b = add(p + "ln1.b", {D}, false);
    }
    b.W_Q = add(p + "attn.W_Q", {H, D, K});
    b.W_K = add(p + "attn.W_K", {H, D, K});
    b.W_V = add(p + "attn.W_V", {H, D, K});
    b.W_O = add(p + "attn.W_O", {H, K, D});
    if (c.biases) {
      b.b_Q = add(p + "attn.b_Q", {H, K}, false);
      b.b_K = add(p + "attn.b_K", {H, K}, false);
      b.b_V = add(p + "attn.b_V", {H, K}, false);
      b.b_O = add(p + "attn.b_O", {D}, false);
    }
    if (!c.attn_only()) add_mlp(c, p, b);
    blocks.push_back(b);
  }
  if (c.has_ln_params()) {
    ln_final_w = add("ln_final.w", {D}, false);
    ln_final_b = add("ln_final.b", {D}, false);
  }
  W_U = add("unembed.W_U", {D, c.d_vocab});
  if (c.biases) b_U = add("unembed.b_U", {c.d_vocab}, false);
}

void ParamLayout::add_mlp(const Config& c, const std::string& p, Block& b) {
  const int64_t D = c.d_model, M = c.d_mlp;
  if (c.has_ln_params()) {
    b.ln2_w = add(p + "ln2.w", {D}, false);
    b.ln2_b = add(p + "ln2.b", {D}, false);
  }
  b.W_in = add(p + "mlp.W_in", {D, M});
  b.b_in = add(p + "mlp.b_in", {M}, false);
  b.W_out = add(p + "mlp.W_out", {M, D});
  b.b_out = add(p + "mlp.b_out", {D}, false);
}

int64_t ParamLayout::add(const std::string& name, std::vector<int64_t> shape, bool decays) {
  int64_t n = 1;
  for (auto s : shape) n *= s;
  views_.push_back({name, std::move(shape), total_, n, decays});
  total_ += n;
  return views_.back().offset;
}

const ParamView& ParamLayout::view(const std::string& name) const {
  for (const auto& v : views_)
    if (v.name == name) return v;
  fail("no parameter named '" + name + "' in this model");
}

bool ParamLayout::has(const std::string& name) const {
  for (const auto& v : views_)
    if (v.name == name) return true;
  return false;
}

template <class T>
void Params<T>::init(uint64_t seed) {
  Rng rng(seed);
  const double std = 0.8 / std::sqrt(double(cfg.d_model));
  for (const auto& v : layout.views()) {
    T* p = ptr(v.offset);
    const std::string leaf = v.name.substr(v.name.rfind('.') + 1);
    const bool ln_scale = leaf == "w";
    const bool bias = leaf == "b" || leaf.rfind("b_", 0) == 0;
    for (int64_t i = 0; i < v.numel; ++i)
      p[i] = ln_scale ? T(1) : bias ? T(0) : T(std * rng.normal());
  }
}

template struct Params<float>;
template struct Params<double>;

}  // namespace cs
