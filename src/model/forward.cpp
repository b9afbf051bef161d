#include "model/forward.h"

#include <algorithm>

#include "core/error.h"
#include "core/parallel.h"
#include "model/hook_runner.h"
#include "model/ops/activation.h"
#include "model/ops/attention.h"
#include "model/ops/attention_scores.h"
#include "model/ops/bias.h"
#include "model/ops/embed.h"
#include "model/ops/layernorm.h"
#include "model/ops/mlp.h"
#include "model/ops/projections.h"
#include "model/ops/rotary.h"
#include "model/ops/unembed.h"

namespace cs {

namespace {

// Columns [col, col + width) of every row of x (rows ld apart) set to zero or to their mean.
template <class T>
void replace_columns(T* x, int64_t rows, int64_t ld, int64_t col, int64_t width, HeadAblation::Kind kind) {
  std::vector<double> mean(width, 0.0);
  if (kind == HeadAblation::Kind::mean) {
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t d = 0; d < width; ++d) mean[d] += x[r * ld + col + d];
    for (auto& m : mean) m /= double(rows);
  }
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t d = 0; d < width; ++d) x[r * ld + col + d] = T(mean[d]);
}

// A head's result is linear in its z, so ablating z ablates the result.
template <class T>
void ablate_heads(Activations<T>& acts, int layer, const Interventions<T>* iv) {
  if (!iv) return;
  const int64_t H = acts.cfg.n_heads, K = acts.cfg.d_head;
  for (const auto& a : iv->ablate) {
    if (a.layer != layer) continue;
    CS_CHECK(a.head >= 0 && a.head < H, "head " << a.head << " out of range [0, " << H << ")");
    replace_columns(acts.z[layer].data(), acts.rows(), H * K, a.head * K, K, a.kind);
  }
}

template <class T>
void ablate_mlp(Activations<T>& acts, int layer, const Interventions<T>* iv) {
  if (!iv) return;
  const int64_t D = acts.cfg.d_model;
  for (const auto& a : iv->ablate_mlp)
    if (a.layer == layer) replace_columns(acts.mlp_out[layer].data(), acts.rows(), D, 0, D, a.kind);
}

template <class T>
void validate(const Activations<T>& acts, const Interventions<T>* iv) {
  if (!iv) return;
  for (const auto& a : iv->ablate)
    CS_CHECK(a.layer >= 0 && a.layer < acts.cfg.n_layers,
             "ablation layer " << a.layer << " out of range [0, " << acts.cfg.n_layers << ")");
  for (const auto& a : iv->ablate_mlp)
    CS_CHECK(!acts.cfg.attn_only() && a.layer >= 0 && a.layer < acts.cfg.n_layers,
             "MLP ablation layer " << a.layer << ": the model has no MLP there");
  if (iv->freeze_mlp_out)
    CS_CHECK(!acts.cfg.attn_only() && iv->freeze_mlp_out->B == acts.B &&
                 iv->freeze_mlp_out->Tn == acts.Tn && iv->freeze_mlp_out->cfg.n_layers == acts.cfg.n_layers &&
                 !iv->freeze_mlp_out->mlp_out.empty(),
             "frozen MLP outputs come from a pass of a different shape");
  CS_CHECK(acts.cfg.attn_only() || iv->max_path_order < 0 || iv->max_path_order >= acts.cfg.n_layers ||
               iv->freeze_mlp_out,
           "a path-order cap on a model with MLPs needs frozen MLP outputs");
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
  CS_CHECK(!(iv->hooks && iv->max_path_order >= 0 && iv->max_path_order < acts.cfg.n_layers),
           "hooks cannot be combined with a path-order cap");
}

template <class T>
void unembed(const Params<T>& params, Activations<T>& acts, const HookRunner<T>& hooks) {
  const auto& c = acts.cfg;
  const int64_t R = acts.rows(), D = c.d_model, L = c.n_layers;
  if (c.normalized()) {
    const auto& lay = params.layout;
    layernorm_forward(acts.resid[L].data(), acts.normalized[L].data(), acts.ln_mean[L].data(),
                      acts.ln_rstd[L].data(), c.has_ln_params() ? params.ptr(lay.ln_final_w) : nullptr,
                      c.has_ln_params() ? params.ptr(lay.ln_final_b) : nullptr, R, D, c.ln_eps);
    hooks.at(HookSite::ln_final);
  }
  if (!acts.has_targets && !acts.keep_logits) return;
  unembed_forward(acts.final_input(), params.ptr(params.layout.W_U), params.maybe(params.layout.b_U),
                  acts.has_targets ? acts.targets.data() : nullptr, acts.loss.data(),
                  acts.keep_logits ? acts.logits.data() : nullptr, R, D, int64_t(c.d_vocab),
                  acts.unembed_scratch);
  if (acts.keep_logits) hooks.at(HookSite::logits);
}

// out = a + b (+ c when given), elementwise over n values.
template <class T>
void add_streams(T* out, const T* a, const T* b, const T* c, int64_t n) {
#pragma omp parallel for simd schedule(static) if (n > kParallelWork)
  for (int64_t i = 0; i < n; ++i) out[i] = c ? a[i] + b[i] + c[i] : a[i] + b[i];
}

// The stream's start: token embedding (+ standard positions). Hooks on either see them apart.
template <class T>
void embed(const Params<T>& params, Activations<T>& acts, const HookRunner<T>& hooks) {
  const auto& c = acts.cfg;
  const auto& lay = params.layout;
  const int64_t n = acts.rows() * c.d_model;
  const bool standard = c.positional_embedding_type == Positions::standard;
  if (!hooks.wants(HookSite::embed) && !hooks.wants(HookSite::pos_embed)) {
    embed_forward(acts.tokens.data(), params.ptr(lay.W_E), standard ? params.ptr(lay.W_pos) : nullptr,
                  acts.resid[0].data(), acts.B, acts.Tn, c.d_model);
    return;
  }
  std::vector<T> token(standard ? n : 0), position(c.has_pos_embed() ? n : 0, T(0));
  T* e = standard ? token.data() : acts.resid[0].data();
  embed_forward(acts.tokens.data(), params.ptr(lay.W_E), static_cast<const T*>(nullptr), e, acts.B, acts.Tn,
                c.d_model);
  hooks.at(HookSite::embed, -1, e);
  if (c.has_pos_embed()) {
    add_positions_forward(position.data(), params.ptr(lay.W_pos), position.data(), acts.B, acts.Tn, c.d_model);
    hooks.at(HookSite::pos_embed, -1, position.data());
  }
  if (standard) add_streams(acts.resid[0].data(), token.data(), position.data(), static_cast<const T*>(nullptr), n);
}

// Pattern rows are causal: what a hook wrote above the diagonal is not used, and the buffer keeps
// zeros there (the fused kernel writes only the lower half).
template <class T>
void zero_above_diagonal(T* pattern, int64_t matrices, int64_t Tn) {
  for (int64_t m = 0; m < matrices; ++m)
    for (int64_t i = 0; i < Tn; ++i) std::fill(pattern + (m * Tn + i) * Tn + i + 1, pattern + (m * Tn + i + 1) * Tn, T(0));
}

// Layer l's attention from its q, k and v: the fused kernel, or, when a hook wants the scores,
// the unfused steps. After a hook on the pattern, z is computed again from what it left.
template <class T>
void attend(Activations<T>& acts, int l, const T* frozen, const HookRunner<T>& hooks) {
  const int64_t B = acts.B, Tn = acts.Tn, H = acts.cfg.n_heads, K = acts.cfg.d_head;
  const T* qkv = acts.qkv[l].data();
  T* pattern = acts.pattern[l].data();
  if (!frozen && hooks.wants(HookSite::attn_scores, l)) {
    std::vector<T> scores(B * H * Tn * Tn);
    attention_scores_forward(qkv, scores.data(), B, Tn, H, K);
    hooks.at(HookSite::attn_scores, l, scores.data());
    softmax_rows_forward(scores.data(), pattern, B * H * Tn, Tn);
    frozen = pattern;
  }
  if (hooks.wants(HookSite::pattern, l)) {
    if (frozen != pattern)
      attention_forward(qkv, pattern, acts.z[l].data(), frozen, B, Tn, H, K, acts.attention_scratch);
    hooks.at(HookSite::pattern, l);
    zero_above_diagonal(pattern, B * H, Tn);
    frozen = pattern;
  }
  attention_forward(qkv, pattern, acts.z[l].data(), frozen, B, Tn, H, K, acts.attention_scratch);
}

// out += the heads' results; with a hook on them, each head's result apart first.
template <class T>
void heads_out(const Params<T>& params, Activations<T>& acts, int l, T* out, const HookRunner<T>& hooks) {
  const int64_t R = acts.rows(), D = acts.cfg.d_model, H = acts.cfg.n_heads, K = acts.cfg.d_head;
  const T* W_O = params.ptr(params.layout.blocks[l].W_O);
  if (!hooks.wants(HookSite::result, l)) {
    attn_out_forward(acts.z[l].data(), W_O, static_cast<const T*>(nullptr), out, R, H * K, D);
    return;
  }
  std::vector<T> result(R * H * D);
  head_results_forward(acts.z[l].data(), W_O, result.data(), R, H, K, D);
  hooks.at(HookSite::result, l, result.data());
  sum_heads_forward(result.data(), out, R, H, D);
}

template <class T>
void attention_layer(const Params<T>& params, Activations<T>& acts, int l, const T* x, T* out,
                     const Interventions<T>* iv, const HookRunner<T>& hooks);

}  // namespace

template <class T>
void attention_layer_forward(const Params<T>& params, Activations<T>& acts, int l, const T* x,
                             T* out, const Interventions<T>* iv) {
  attention_layer(params, acts, l, x, out, iv, HookRunner<T>());
}

namespace {

template <class T>
void attention_layer(const Params<T>& params, Activations<T>& acts, int l, const T* x, T* out,
                     const Interventions<T>* iv, const HookRunner<T>& hooks) {
  const auto& c = acts.cfg;
  const auto& blk = params.layout.blocks[l];
  const int64_t R = acts.rows(), D = c.d_model, H = c.n_heads, K = c.d_head;
  const T* a = x;
  if (c.normalized()) {
    layernorm_forward(x, acts.normalized[l].data(), acts.ln_mean[l].data(), acts.ln_rstd[l].data(),
                      c.has_ln_params() ? params.ptr(blk.ln1_w) : nullptr,
                      c.has_ln_params() ? params.ptr(blk.ln1_b) : nullptr, R, D, c.ln_eps);
    a = acts.normalized[l].data();
    hooks.at(HookSite::ln1_normalized, l);
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
  if (c.biases) {
    // Only the values when the patterns are given; rotary turns the biased q and k.
    const int64_t first = frozen ? 2 * H * K : 0;
    bias_forward(acts.qkv[l].data() + first, acts.packed_bias.data() + l * 3 * H * K + first, R,
                 3 * H * K - first, 3 * H * K);
  }
  for (HookSite site : {HookSite::q, HookSite::k, HookSite::v})
    if (!frozen || site == HookSite::v) hooks.at(site, l, acts.qkv_slot(l, int(site) - int(HookSite::q)));
  if (c.positional_embedding_type == Positions::rotary && !frozen) {
    rotary_forward(acts.qkv[l].data(), acts.rotary, acts.B, acts.Tn, H, K);
    hooks.at(HookSite::rot_q, l);
    hooks.at(HookSite::rot_k, l);
  }
  attend(acts, l, frozen, hooks);
  ablate_heads(acts, l, iv);
  hooks.at(HookSite::z, l);
  heads_out(params, acts, l, out, hooks);
  if (c.biases) bias_forward(out, params.ptr(blk.b_O), R, D, D);
}

}  // namespace

template <class T>
MlpWeights<T> mlp_weights(const Params<T>& params, int layer) {
  const auto& blk = params.layout.blocks[size_t(layer)];
  return {params.ptr(blk.W_in), params.ptr(blk.b_in), params.ptr(blk.W_out), params.ptr(blk.b_out)};
}
template MlpWeights<float> mlp_weights<float>(const Params<float>&, int);
template MlpWeights<double> mlp_weights<double>(const Params<double>&, int);

namespace {

template <class T>
void mlp_layer_forward(const Params<T>& params, Activations<T>& acts, int l, const Interventions<T>* iv,
                       const HookRunner<T>& hooks) {
  const auto& c = acts.cfg;
  const auto& blk = params.layout.blocks[l];
  const int64_t R = acts.rows(), D = c.d_model;
  if (c.normalized())
    layernorm_forward(acts.mlp_stream(l), acts.normalized2[l].data(), acts.ln2_mean[l].data(),
                      acts.ln2_rstd[l].data(), params.maybe(blk.ln2_w), params.maybe(blk.ln2_b), R,
                      D, c.ln_eps);
  if (c.normalized()) hooks.at(HookSite::ln2_normalized, l);
  const int64_t M = c.d_mlp;
  if (iv && iv->freeze_mlp_out) {
    std::copy(iv->freeze_mlp_out->mlp_out[l].begin(), iv->freeze_mlp_out->mlp_out[l].end(),
              acts.mlp_out[l].begin());
  } else if (hooks.wants(HookSite::mlp_pre, l) || hooks.wants(HookSite::mlp_post, l)) {
    const MlpWeights<T> w = mlp_weights(params, l);
    mlp_in_forward(acts.mlp_input(l), w, acts.mlp_pre[l].data(), R, D, M);
    hooks.at(HookSite::mlp_pre, l);
    activation_forward(c.act_fn, acts.mlp_pre[l].data(), acts.mlp_post[l].data(), R * M);
    hooks.at(HookSite::mlp_post, l);
    mlp_out_forward(acts.mlp_post[l].data(), w, acts.mlp_out[l].data(), R, D, M);
  } else {
    mlp_forward(acts.mlp_input(l), mlp_weights(params, l), c.act_fn, acts.mlp_pre[l].data(),
                acts.mlp_post[l].data(), acts.mlp_out[l].data(), R, D, M);
  }
  ablate_mlp(acts, l, iv);
  hooks.at(HookSite::mlp_out, l);
}

// One block from resid[l] to resid[l + 1]. Attention-only blocks add the heads straight into the
// stream (as they always have: training stays bit-for-bit what it was); blocks with an MLP keep
// attn_out and resid_mid, the hooks and the backward pass read them.
template <class T>
void block_forward(const Params<T>& params, Activations<T>& acts, int l, const Interventions<T>* iv,
                   const HookRunner<T>& hooks) {
  const auto& c = acts.cfg;
  const int64_t n = acts.rows() * c.d_model;
  if (c.attn_only() && hooks.wants(HookSite::attn_out, l)) {
    std::vector<T> attn_out(n, T(0));
    attention_layer(params, acts, l, acts.resid[l].data(), attn_out.data(), iv, hooks);
    hooks.at(HookSite::attn_out, l, attn_out.data());
    add_streams(acts.resid[l + 1].data(), acts.resid[l].data(), attn_out.data(), static_cast<const T*>(nullptr), n);
    return;
  }
  if (c.attn_only()) {
    std::copy(acts.resid[l].begin(), acts.resid[l].end(), acts.resid[l + 1].begin());
    attention_layer(params, acts, l, acts.resid[l].data(), acts.resid[l + 1].data(), iv, hooks);
    return;
  }
  std::fill(acts.attn_out[l].begin(), acts.attn_out[l].end(), T(0));
  attention_layer(params, acts, l, acts.resid[l].data(), acts.attn_out[l].data(), iv, hooks);
  hooks.at(HookSite::attn_out, l);
  if (!c.parallel_attn_mlp) {
    add_streams(acts.resid_mid[l].data(), acts.resid[l].data(), acts.attn_out[l].data(),
                static_cast<const T*>(nullptr), n);
    hooks.at(HookSite::resid_mid, l);
  }
  mlp_layer_forward(params, acts, l, iv, hooks);
  if (c.parallel_attn_mlp)
    add_streams(acts.resid[l + 1].data(), acts.resid[l].data(), acts.attn_out[l].data(),
                acts.mlp_out[l].data(), n);
  else
    add_streams(acts.resid[l + 1].data(), acts.resid_mid[l].data(), acts.mlp_out[l].data(),
                static_cast<const T*>(nullptr), n);
}

// Path order k: pass j computes every head from the residual stream built from pass j-1's head
// outputs (pass 0: none), so a head's input holds paths through at most j-1 heads. Frozen MLP
// outputs are constants: each joins the stream after its layer at every pass.
template <class T>
void capped_path_forward(const Params<T>& params, Activations<T>& acts, int order,
                         const Interventions<T>* iv) {
  const int L = acts.cfg.n_layers;
  const int64_t n = acts.rows() * acts.cfg.d_model;
  if (!acts.cfg.attn_only())
    for (int l = 0; l < L; ++l) {
      acts.mlp_out[l] = iv->freeze_mlp_out->mlp_out[l];
      ablate_mlp(acts, l, iv);
    }
  auto constant_terms = [&](int upto, std::vector<T>& x) {
    if (&x != &acts.resid[0]) std::copy(acts.resid[0].begin(), acts.resid[0].end(), x.begin());
    if (!acts.cfg.attn_only())
      for (int lp = 0; lp < upto; ++lp)
        for (int64_t i = 0; i < n; ++i) x[i] += acts.mlp_out[lp][i];
  };
  std::vector<std::vector<T>> prev(L, std::vector<T>(n, T(0))), cur = prev;
  for (int pass = 1; pass <= order; ++pass) {
    for (int l = 0; l < L; ++l) {
      constant_terms(l, acts.resid[l]);
      for (int lp = 0; lp < l; ++lp)
        for (int64_t i = 0; i < n; ++i) acts.resid[l][i] += prev[lp][i];
      std::fill(cur[l].begin(), cur[l].end(), T(0));
      attention_layer_forward(params, acts, l, acts.resid[l].data(), cur[l].data(), iv);
    }
    std::swap(prev, cur);
  }
  constant_terms(L, acts.resid[L]);
  for (int l = 0; l < L; ++l)
    for (int64_t i = 0; i < n; ++i) acts.resid[L][i] += prev[l][i];
}

}  // namespace

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
  const HookRunner<T> hooks = iv && iv->hooks ? HookRunner<T>(iv->hooks, acts) : HookRunner<T>();
  embed(params, acts, hooks);
  for (int l = 0; l < L; ++l) {
    const auto& blk = lay.blocks[l];
    pack_qkv(params.ptr(blk.W_Q), params.ptr(blk.W_K), params.ptr(blk.W_V),
             acts.packed.data() + int64_t(l) * D * 3 * H * K, H, D, K);
    if (c.biases)
      for (int slot = 0; slot < 3; ++slot)
        std::copy_n(params.ptr(slot == 0 ? blk.b_Q : slot == 1 ? blk.b_K : blk.b_V), H * K,
                    acts.packed_bias.data() + (l * 3 + slot) * H * K);
  }

  const int order = iv && iv->max_path_order >= 0 ? std::min(iv->max_path_order, L) : L;
  if (order < L) {
    capped_path_forward(params, acts, order, iv);
  } else {
    const int first = iv && iv->resid_value && iv->start_at_resid_layer ? iv->resid_layer : 0;
    for (int l = first; l < L; ++l) {
      if (iv && iv->resid_value && iv->resid_layer == l)
        std::copy_n(iv->resid_value, R * D, acts.resid[l].data());
      hooks.at(HookSite::resid_pre, l);
      block_forward(params, acts, l, iv, hooks);
      hooks.at(HookSite::resid_post, l);
    }
    if (iv && iv->resid_value && iv->resid_layer == L)
      std::copy_n(iv->resid_value, R * D, acts.resid[L].data());
  }
  unembed(params, acts, hooks);
}

template void forward<float>(const Params<float>&, Activations<float>&, const Interventions<float>*);
template void forward<double>(const Params<double>&, Activations<double>&, const Interventions<double>*);
template void attention_layer_forward<float>(const Params<float>&, Activations<float>&, int,
                                             const float*, float*, const Interventions<float>*);
template void attention_layer_forward<double>(const Params<double>&, Activations<double>&, int,
                                              const double*, double*, const Interventions<double>*);

}  // namespace cs
