#pragma once
// Everything a forward pass computes, sized once for (batch, seq): the backward pass reads it and
// analyses address it by TransformerLens hook names (hook_embed, blocks.{l}.hook_resid_pre,
// blocks.{l}.attn.hook_q|k|v|pattern|z|result, blocks.{l}.hook_attn_out, hook_resid_mid,
// ln2.hook_normalized, mlp.hook_pre|post, hook_mlp_out, ln_final.hook_normalized, hook_logits, ...).
#include <cstdint>
#include <string>
#include <vector>

#include "core/aligned.h"
#include "model/config.h"
#include "model/ops/attention.h"
#include "model/ops/rotary.h"
#include "model/ops/unembed.h"

namespace cs {

template <class T>
struct Params;

// A contiguous copy of one cached activation with its TransformerLens shape.
template <class T>
struct HookTensor {
  std::vector<int64_t> shape;
  std::vector<T> data;
};

template <class T>
struct Activations {
  Config cfg;
  int64_t B = 0, Tn = 0;
  bool keep_logits = false;
  bool has_targets = false;

  std::vector<int32_t> tokens, targets;          // [B, T]
  std::vector<std::vector<T>> resid;             // L+1 x [B, T, D]; resid[L] is the final stream
  std::vector<std::vector<T>> normalized;        // L+1 x [B, T, D] LayerNorm outputs (if any)
  std::vector<std::vector<T>> ln_mean, ln_rstd;  // L+1 x [B, T]
  std::vector<std::vector<T>> qk_in;             // L x [B, T, D] (shortformer: input + W_pos)
  std::vector<std::vector<T>> qkv;               // L x [B, T, 3, H, K]
  std::vector<LineVector<T>> pattern;            // L x [B, H, T, T], rows on whole lines
  std::vector<std::vector<T>> z;                 // L x [B, T, H, K]
  // MLP blocks (empty in attention-only models, whose heads add straight into the stream).
  std::vector<std::vector<T>> attn_out;          // L x [B, T, D] sum of the heads' results + b_O
  std::vector<std::vector<T>> resid_mid;         // L x [B, T, D] (sequential blocks only)
  std::vector<std::vector<T>> normalized2;       // L x [B, T, D] LN2 outputs (if normalized)
  std::vector<std::vector<T>> ln2_mean, ln2_rstd;  // L x [B, T]
  std::vector<std::vector<T>> mlp_pre, mlp_post;   // L x [B, T, d_mlp] before and after act_fn
  std::vector<std::vector<T>> mlp_out;           // L x [B, T, D]
  std::vector<T> loss;                           // [B, T] per-token loss (nats)
  std::vector<T> logits;                         // [B, T, V] only when keep_logits

  // Workspace reused by every pass.
  std::vector<T> packed;                         // L x [D, 3HK] packed W_Q|W_K|W_V
  std::vector<T> packed_bias;                    // L x [3HK] b_Q|b_K|b_V (with biases)
  RotaryTable<T> rotary;
  AttentionScratch<T> attention_scratch;
  UnembedScratch<T> unembed_scratch;
  // Backward-only buffers (allocated on first use by the training step).
  std::vector<T> d_resid, d_attn_in, d_qk_in, d_qkv, d_z, d_packed, d_final;
  std::vector<T> d_mlp_in, d_hidden;  // MLP models: the MLP input's gradient, [B, T, d_mlp] scratch

  Activations(const Config& cfg, int64_t batch, int64_t seq, bool keep_logits = false);

  // windows [B, seq + 1]: inputs are columns 0..seq-1, targets 1..seq.
  void set_windows(const int32_t* windows);
  // tokens [B, seq], no targets: no loss is computed.
  void set_tokens(const int32_t* tokens);

  int64_t rows() const { return B * Tn; }
  // The input the layer's attention reads: the LayerNorm output, or the residual stream itself.
  const T* attn_input(int layer) const;
  const T* final_input() const;
  // The stream the layer's MLP reads before LN2: the block input (parallel) or resid_mid.
  const T* mlp_stream(int layer) const;
  // What the MLP's W_in multiplies: the LN2 output, or that stream itself.
  const T* mlp_input(int layer) const;

  std::vector<std::string> hook_names() const;
  HookTensor<T> hook(const std::string& name) const;
  // blocks.{l}.attn.hook_result [B, T, H, D], computed on demand from z and W_O.
  HookTensor<T> head_result(const Params<T>& params, int layer) const;
  T mean_loss() const;
};

}  // namespace cs
