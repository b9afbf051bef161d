#include "model/backward.h"

#include <algorithm>

#include "core/error.h"
#include "model/forward.h"
#include "model/ops/attention.h"
#include "model/ops/bias.h"
#include "model/ops/embed.h"
#include "model/ops/layernorm.h"
#include "model/ops/mlp.h"
#include "model/ops/projections.h"
#include "model/ops/rotary.h"
#include "model/ops/unembed.h"

namespace cs {

namespace {

template <class T>
void ensure(std::vector<T>& v, int64_t n) {
  if (int64_t(v.size()) != n) v.assign(n, T(0));
}

// Forward without the loss: the unembedding below computes it together with its gradient.
template <class T>
void forward_without_loss(const Params<T>& params, Activations<T>& acts) {
  acts.has_targets = false;
  const bool keep = acts.keep_logits;
  acts.keep_logits = false;
  forward(params, acts);
  acts.has_targets = true;
  acts.keep_logits = keep;
}

template <class T>
void prepare_gradients(Activations<T>& acts, Params<T>& grads) {
  const auto& c = acts.cfg;
  const int64_t R = acts.rows(), D = c.d_model, H = c.n_heads, K = c.d_head, HK = H * K;
  ensure(acts.d_resid, R * D);
  ensure(acts.d_final, R * D);
  ensure(acts.d_qkv, R * 3 * HK);
  ensure(acts.d_z, R * HK);
  ensure(acts.d_packed, D * 3 * HK);
  if (c.normalized()) ensure(acts.d_attn_in, R * D);
  if (c.positional_embedding_type == Positions::shortformer) ensure(acts.d_qk_in, R * D);
  if (!c.attn_only()) {
    ensure(acts.d_mlp_in, R * D);
    ensure(acts.d_hidden, R * int64_t(c.d_mlp));
  }
  std::fill(grads.data.begin(), grads.data.end(), T(0));
}

// The loss and its gradient at the last residual stream, into d_resid.
template <class T>
void loss_backward(const Params<T>& params, Activations<T>& acts, Params<T>& grads) {
  const auto& c = acts.cfg;
  const int L = c.n_layers;
  const int64_t R = acts.rows(), D = c.d_model;
  const auto& lay = params.layout;
  T* d_resid = acts.d_resid.data();
  if (c.normalized()) {
    unembed_xent_forward_backward(acts.final_input(), params.ptr(lay.W_U), params.maybe(lay.b_U),
                                  acts.targets.data(), acts.loss.data(), acts.d_final.data(),
                                  grads.ptr(lay.W_U), grads.maybe(lay.b_U), R, D,
                                  int64_t(c.d_vocab), acts.unembed_scratch);
    std::fill(acts.d_resid.begin(), acts.d_resid.end(), T(0));
    layernorm_backward(acts.d_final.data(), acts.resid[L].data(), acts.ln_mean[L].data(),
                       acts.ln_rstd[L].data(), c.has_ln_params() ? params.ptr(lay.ln_final_w) : nullptr,
                       d_resid, c.has_ln_params() ? grads.ptr(lay.ln_final_w) : nullptr,
                       c.has_ln_params() ? grads.ptr(lay.ln_final_b) : nullptr, R, D);
  } else {
    unembed_xent_forward_backward(acts.final_input(), params.ptr(lay.W_U), params.maybe(lay.b_U),
                                  acts.targets.data(), acts.loss.data(), d_resid, grads.ptr(lay.W_U),
                                  grads.maybe(lay.b_U), R, D, int64_t(c.d_vocab), acts.unembed_scratch);
  }
}

// Layer l's attention, from its output's gradient d_resid to d_qkv.
template <class T>
void attention_output_backward(const Params<T>& params, Activations<T>& acts, Params<T>& grads,
                               int l) {
  const auto& c = acts.cfg;
  const int64_t R = acts.rows(), D = c.d_model, H = c.n_heads, K = c.d_head, HK = H * K;
  const auto& gblk = grads.layout.blocks[l];
  attn_out_backward(acts.d_resid.data(), acts.z[l].data(), params.ptr(params.layout.blocks[l].W_O),
                    acts.d_z.data(), grads.ptr(gblk.W_O), R, HK, D);
  if (c.biases) bias_backward(acts.d_resid.data(), grads.ptr(gblk.b_O), R, D, D);
  attention_backward(acts.qkv[l].data(), acts.pattern[l].data(), acts.z[l].data(), acts.d_z.data(),
                     acts.d_qkv.data(), acts.B, acts.Tn, H, K, acts.attention_scratch);
  if (c.positional_embedding_type == Positions::rotary)
    rotary_backward(acts.d_qkv.data(), acts.rotary, acts.B, acts.Tn, H, K);
  if (c.biases)  // b_Q, b_K, b_V sit in the same [q | k | v] slots of a row as d_qkv
    for (int slot = 0; slot < 3; ++slot)
      bias_backward(acts.d_qkv.data() + slot * HK,
                    grads.ptr(slot == 0 ? gblk.b_Q : slot == 1 ? gblk.b_K : gblk.b_V), R, HK, 3 * HK);
}

// Layer l's MLP, from d_resid (the gradient at the stream the MLP's output joins) back to the
// stream it reads, whose share is added to d_resid.
template <class T>
void mlp_layer_backward(const Params<T>& params, Activations<T>& acts, Params<T>& grads, int l) {
  const auto& c = acts.cfg;
  const int64_t R = acts.rows(), D = c.d_model;
  const auto& blk = params.layout.blocks[l];
  const auto& gblk = grads.layout.blocks[l];
  const MlpWeights<T> w = mlp_weights(params, l);
  const MlpGrads<T> g{grads.ptr(gblk.W_in), grads.ptr(gblk.b_in), grads.ptr(gblk.W_out), grads.ptr(gblk.b_out)};
  std::fill(acts.d_mlp_in.begin(), acts.d_mlp_in.end(), T(0));
  mlp_backward(acts.d_resid.data(), acts.mlp_input(l), acts.mlp_pre[l].data(), acts.mlp_post[l].data(),
               w, c.act_fn, acts.d_hidden.data(), acts.d_mlp_in.data(), g, R, D, int64_t(c.d_mlp));
  if (c.normalized()) {
    layernorm_backward(acts.d_mlp_in.data(), acts.mlp_stream(l), acts.ln2_mean[l].data(),
                       acts.ln2_rstd[l].data(), params.maybe(blk.ln2_w), acts.d_resid.data(),
                       grads.maybe(gblk.ln2_w), grads.maybe(gblk.ln2_b), R, D);
  } else {
    for (int64_t i = 0; i < R * D; ++i) acts.d_resid[i] += acts.d_mlp_in[i];
  }
}

// From d_qkv back to layer l's input, whose share of the gradient is added to d_resid.
template <class T>
void attention_input_backward(const Params<T>& params, Activations<T>& acts, Params<T>& grads,
                              int l) {
  const auto& c = acts.cfg;
  const int64_t R = acts.rows(), D = c.d_model, H = c.n_heads, K = c.d_head, HK = H * K;
  const auto& blk = params.layout.blocks[l];
  const auto& gblk = grads.layout.blocks[l];
  T* d_resid = acts.d_resid.data();
  T* d_a = d_resid;  // without normalization the attention reads the stream itself
  if (c.normalized()) {
    std::fill(acts.d_attn_in.begin(), acts.d_attn_in.end(), T(0));
    d_a = acts.d_attn_in.data();
  }
  const T* a = acts.attn_input(l);
  const T* packed = acts.packed.data() + int64_t(l) * D * 3 * HK;
  if (c.positional_embedding_type == Positions::shortformer) {
    std::fill(acts.d_qk_in.begin(), acts.d_qk_in.end(), T(0));
    qkv_backward(acts.d_qkv.data(), acts.qk_in[l].data(), a, packed, acts.d_packed.data(),
                 acts.d_qk_in.data(), d_a, R, D, HK);
    for (int64_t i = 0; i < R * D; ++i) d_a[i] += acts.d_qk_in[i];
    add_positions_backward(acts.d_qk_in.data(), grads.ptr(params.layout.W_pos), acts.B, acts.Tn, D);
  } else {
    qkv_backward(acts.d_qkv.data(), a, a, packed, acts.d_packed.data(), d_a, d_a, R, D, HK);
  }
  unpack_qkv_grad(acts.d_packed.data(), grads.ptr(gblk.W_Q), grads.ptr(gblk.W_K),
                  grads.ptr(gblk.W_V), H, D, K);
  if (c.normalized())
    layernorm_backward(d_a, acts.resid[l].data(), acts.ln_mean[l].data(), acts.ln_rstd[l].data(),
                       c.has_ln_params() ? params.ptr(blk.ln1_w) : nullptr, d_resid,
                       c.has_ln_params() ? grads.ptr(gblk.ln1_w) : nullptr,
                       c.has_ln_params() ? grads.ptr(gblk.ln1_b) : nullptr, R, D);
}

}  // namespace

template <class T>
T forward_backward(const Params<T>& params, Activations<T>& acts, Params<T>& grads) {
  const auto& c = acts.cfg;
  CS_CHECK(acts.has_targets, "the training step needs targets (set_windows)");
  CS_CHECK(acts.keep == Keep::every_layer, "the training step needs every layer's activations");
  CS_CHECK(grads.layout.total() == params.layout.total(), "gradient buffer has a different layout");
  forward_without_loss(params, acts);
  prepare_gradients(acts, grads);
  loss_backward(params, acts, grads);
  // resid[l+1] = resid[l] + attention(resid[l]) (+ an MLP's output): d_resid flows to resid[l]
  // unchanged, and each branch adds its share. A sequential MLP's share first makes d_resid the
  // gradient at resid_mid, the attention's output; a parallel MLP and the attention both see the
  // gradient at the block's output, so the MLP goes after the attention has read it.
  const bool sequential_mlp = !c.attn_only() && !c.parallel_attn_mlp;
  for (int l = c.n_layers - 1; l >= 0; --l) {
    if (sequential_mlp) mlp_layer_backward(params, acts, grads, l);
    attention_output_backward(params, acts, grads, l);
    if (c.parallel_attn_mlp) mlp_layer_backward(params, acts, grads, l);
    attention_input_backward(params, acts, grads, l);
  }
  embed_backward(acts.tokens.data(), acts.d_resid.data(), grads.ptr(params.layout.W_E),
                 c.positional_embedding_type == Positions::standard ? grads.ptr(params.layout.W_pos)
                                                                    : nullptr,
                 acts.B, acts.Tn, int64_t(c.d_model));
  return acts.mean_loss();
}

template float forward_backward<float>(const Params<float>&, Activations<float>&, Params<float>&);
template double forward_backward<double>(const Params<double>&, Activations<double>&, Params<double>&);

}  // namespace cs
