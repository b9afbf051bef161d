#include "model/forward.h"

#include <algorithm>

#include "core/error.h"
#include "model/ops/attention.h"
#include "model/ops/embed.h"
#include "model/ops/layernorm.h"
#include "model/ops/projections.h"
#include "model/ops/rotary.h"
#include "model/ops/unembed.h"

namespace cs {

namespace {

template <class T>
void ablate_heads(Activations<T>& acts, int layer, const Interventions<T>* iv) {
  if (!iv) return;
  const int64_t H = acts.cfg.n_heads, K = acts.cfg.d_head, R = acts.rows();
  T* z = acts.z[layer].data();
  for (const auto& a : iv->ablate) {
    if (a.layer != layer) continue;
    CS_CHECK(a.head >= 0 && a.head < H, "head " << a.head << " out of range [0, " << H << ")");
    std::vector<double> mean(K, 0.0);
    if (a.kind == HeadAblation::Kind::mean) {
      for (int64_t r = 0; r < R; ++r)
        for (int64_t d = 0; d < K; ++d) mean[d] += z[r * H * K + a.head * K + d];
      for (auto& m : mean) m /= double(R);
    }
    for (int64_t r = 0; r < R; ++r)
      for (int64_t d = 0; d < K; ++d) z[r * H * K + a.head * K + d] = T(mean[d]);
  }
}

template <class T>
void validate(const Activations<T>& acts, const Interventions<T>* iv) {
  if (!iv) return;
  for (const auto& a : iv->ablate)
    CS_CHECK(a.layer >= 0 && a.layer < acts.cfg.n_layers,
             "ablation layer " << a.layer << " out of range [0, " << acts.cfg.n_layers << ")");
  if (iv->freeze_patterns)
    CS_CHECK(iv->freeze_patterns->B == acts.B && iv->freeze_patterns->Tn == acts.Tn &&
                 iv->freeze_patterns->cfg.n_layers == acts.cfg.n_layers &&
                 iv->freeze_patterns->cfg.n_heads == acts.cfg.n_heads,
             "frozen patterns come from a pass of a different shape");
  if (iv->resid_value)
    CS_CHECK(iv->resid_layer >= 0 && iv->resid_layer <= acts.cfg.n_layers,
             "residual override layer " << iv->resid_layer << " out of range [0, "
                                        << acts.cfg.n_layers << "]");
  CS_CHECK(!iv->start_at_resid_layer || iv->resid_value,
           "starting at the residual override layer needs a residual override");
  CS_CHECK(!(iv->resid_value && iv->max_path_order >= 0 && iv->max_path_order < acts.cfg.n_layers),
           "a residual override cannot be combined with a path-order cap");
}

template <class T>
void unembed(const Params<T>& params, Activations<T>& acts) {
  const auto& c = acts.cfg;
  const int64_t R = acts.rows(), D = c.d_model, L = c.n_layers;
  if (c.normalized()) {
    const auto& lay = params.layout;
    layernorm_forward(acts.resid[L].data(), acts.normalized[L].data(), acts.ln_mean[L].data(),
                      acts.ln_rstd[L].data(), c.has_ln_params() ? params.ptr(lay.ln_final_w) : nullptr,
                      c.has_ln_params() ? params.ptr(lay.ln_final_b) : nullptr, R, D, c.ln_eps);
  }
  if (!acts.has_targets && !acts.keep_logits) return;
  unembed_forward(acts.final_input(), params.ptr(params.layout.W_U),
                  acts.has_targets ? acts.targets.data() : nullptr, acts.loss.data(),
                  acts.keep_logits ? acts.logits.data() : nullptr, R, D, int64_t(c.d_vocab),
                  acts.unembed_scratch);
}

}  // namespace

template <class T>
void attention_layer_forward(const Params<T>& params, Activations<T>& acts, int l, const T* x,
                             T* out, const Interventions<T>* iv) {
  const auto& c = acts.cfg;
  const auto& blk = params.layout.blocks[l];
  const int64_t R = acts.rows(), D = c.d_model, H = c.n_heads, K = c.d_head;
  const T* a = x;
  if (c.normalized()) {
    layernorm_forward(x, acts.normalized[l].data(), acts.ln_mean[l].data(), acts.ln_rstd[l].data(),
                      c.has_ln_params() ? params.ptr(blk.ln1_w) : nullptr,
                      c.has_ln_params() ? params.ptr(blk.ln1_b) : nullptr, R, D, c.ln_eps);
    a = acts.normalized[l].data();
  }
  // Given patterns need no queries or keys: only the values are computed.
  const T* frozen = iv && iv->freeze_patterns ? iv->freeze_patterns->pattern[l].data() : nullptr;
  const T* qk = a;
  if (c.positional_embedding_type == Positions::shortformer && !frozen) {
    add_positions_forward(a, params.ptr(params.layout.W_pos), acts.qk_in[l].data(), acts.B, acts.Tn, D);
    qk = acts.qk_in[l].data();
  }
  const T* packed = acts.packed.data() + int64_t(l) * D * 3 * H * K;
  qkv_forward(qk, a, packed, acts.qkv[l].data(), R, D, H * K, frozen != nullptr);
  if (c.positional_embedding_type == Positions::rotary && !frozen)
    rotary_forward(acts.qkv[l].data(), acts.rotary, acts.B, acts.Tn, H, K);
  attention_forward(acts.qkv[l].data(), acts.pattern[l].data(), acts.z[l].data(), frozen, acts.B,
                    acts.Tn, H, K, acts.attention_scratch);
  ablate_heads(acts, l, iv);
  attn_out_forward(acts.z[l].data(), params.ptr(blk.W_O), static_cast<const T*>(nullptr), out, R,
                   H * K, D);
}

template <class T>
void forward(const Params<T>& params, Activations<T>& acts, const Interventions<T>* iv) {
  const auto& c = acts.cfg;
  CS_CHECK(c.n_layers == params.cfg.n_layers && c.d_model == params.cfg.d_model &&
               c.d_vocab == params.cfg.d_vocab && c.n_heads == params.cfg.n_heads,
           "activations were sized for a different model");
  validate(acts, iv);
  const int L = c.n_layers;
  const int64_t R = acts.rows(), D = c.d_model, H = c.n_heads, K = c.d_head;
  const auto& lay = params.layout;
  embed_forward(acts.tokens.data(), params.ptr(lay.W_E),
                c.positional_embedding_type == Positions::standard ? params.ptr(lay.W_pos) : nullptr,
                acts.resid[0].data(), acts.B, acts.Tn, D);
  for (int l = 0; l < L; ++l)
    pack_qkv(params.ptr(lay.blocks[l].W_Q), params.ptr(lay.blocks[l].W_K),
             params.ptr(lay.blocks[l].W_V), acts.packed.data() + int64_t(l) * D * 3 * H * K, H, D, K);

  const int order = iv && iv->max_path_order >= 0 ? std::min(iv->max_path_order, L) : L;
  if (order == L) {
    const int first = iv && iv->resid_value && iv->start_at_resid_layer ? iv->resid_layer : 0;
    for (int l = first; l < L; ++l) {
      if (iv && iv->resid_value && iv->resid_layer == l)
        std::copy_n(iv->resid_value, R * D, acts.resid[l].data());
      std::copy(acts.resid[l].begin(), acts.resid[l].end(), acts.resid[l + 1].begin());
      attention_layer_forward(params, acts, l, acts.resid[l].data(), acts.resid[l + 1].data(), iv);
    }
    if (iv && iv->resid_value && iv->resid_layer == L)
      std::copy_n(iv->resid_value, R * D, acts.resid[L].data());
  } else {
    // Path order k: pass j computes every head from the residual stream built from pass j-1's
    // head outputs (pass 0: none), so a head's input holds paths through at most j-1 heads.
    std::vector<std::vector<T>> prev(L, std::vector<T>(R * D, T(0))), cur = prev;
    for (int pass = 1; pass <= order; ++pass) {
      for (int l = 0; l < L; ++l) {
        std::copy(acts.resid[0].begin(), acts.resid[0].end(), acts.resid[l].begin());
        for (int lp = 0; lp < l; ++lp)
          for (int64_t i = 0; i < R * D; ++i) acts.resid[l][i] += prev[lp][i];
        std::fill(cur[l].begin(), cur[l].end(), T(0));
        attention_layer_forward(params, acts, l, acts.resid[l].data(), cur[l].data(), iv);
      }
      std::swap(prev, cur);
    }
    std::copy(acts.resid[0].begin(), acts.resid[0].end(), acts.resid[L].begin());
    for (int l = 0; l < L; ++l)
      for (int64_t i = 0; i < R * D; ++i) acts.resid[L][i] += prev[l][i];
  }
  unembed(params, acts);
}

template void forward<float>(const Params<float>&, Activations<float>&, const Interventions<float>*);
template void forward<double>(const Params<double>&, Activations<double>&, const Interventions<double>*);
template void attention_layer_forward<float>(const Params<float>&, Activations<float>&, int,
                                             const float*, float*, const Interventions<float>*);
template void attention_layer_forward<double>(const Params<double>&, Activations<double>&, int,
                                              const double*, double*, const Interventions<double>*);

}  // namespace cs
