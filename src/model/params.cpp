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
    blocks.push_back(b);
  }
  if (c.has_ln_params()) {
    ln_final_w = add("ln_final.w", {D}, false);
    ln_final_b = add("ln_final.b", {D}, false);
  }
  W_U = add("unembed.W_U", {D, c.d_vocab});
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
    const bool ln_scale = v.name.size() >= 2 && v.name.compare(v.name.size() - 2, 2, ".w") == 0;
    const bool ln_bias = v.name.size() >= 2 && v.name.compare(v.name.size() - 2, 2, ".b") == 0;
    for (int64_t i = 0; i < v.numel; ++i)
      p[i] = ln_scale ? T(1) : ln_bias ? T(0) : T(std * rng.normal());
  }
}

template struct Params<float>;
template struct Params<double>;

}  // namespace cs
