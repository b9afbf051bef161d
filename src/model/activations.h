#pragma once
// Everything a forward pass computes, sized once for (batch, seq): the backward pass reads it and
// analyses address it by TransformerLens hook names (the table of model/hook_points.h: the points
// it marks kept are read here after a pass; the others are seen by hooks while it runs).
#include <cstdint>
#include <string>
#include <vector>

#include "core/aligned.h"
#include "model/config.h"
#include "model/layer_buffers.h"
#include "model/hooks.h"
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

// What a pass keeps: every layer's activations (training, analyses, caches), or only the layer it
// is computing and the stream it reads (inference: the memory of one layer, not of the model).
enum class Keep { every_layer, current_layer };

template <class T>
struct Activations {
  Config cfg;
  int64_t B = 0, Tn = 0;
  bool keep_logits = false;
  Keep keep = Keep::every_layer;
  bool has_targets = false;

  std::vector<int32_t> tokens, targets;          // [B, T]
  LayerBuffers<std::vector<T>> resid;             // L+1 x [B, T, D]; resid[L] is the final stream
  LayerBuffers<std::vector<T>> normalized;        // L+1 x [B, T, D] LayerNorm outputs (if any)
  LayerBuffers<std::vector<T>> ln_mean, ln_rstd;  // L+1 x [B, T]
  LayerBuffers<std::vector<T>> qk_in;             // L x [B, T, D] (shortformer: input + W_pos)
  LayerBuffers<std::vector<T>> qkv;               // L x [B, T, 3, H, K]
  LayerBuffers<LineVector<T>> pattern;            // L x [B, H, T, T], rows on whole lines
  LayerBuffers<std::vector<T>> z;                 // L x [B, T, H, K]
  // MLP blocks (empty in attention-only models, whose heads add straight into the stream).
  LayerBuffers<std::vector<T>> attn_out;          // L x [B, T, D] sum of the heads' results + b_O
  LayerBuffers<std::vector<T>> resid_mid;         // L x [B, T, D] (sequential blocks only)
  LayerBuffers<std::vector<T>> normalized2;       // L x [B, T, D] LN2 outputs (if normalized)
  LayerBuffers<std::vector<T>> ln2_mean, ln2_rstd;  // L x [B, T]
  LayerBuffers<std::vector<T>> mlp_pre, mlp_post;   // L x [B, T, d_mlp] before and after act_fn
  LayerBuffers<std::vector<T>> mlp_out;           // L x [B, T, D]
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

  Activations(const Config& cfg, int64_t batch, int64_t seq, bool keep_logits = false,
              Keep keep = Keep::every_layer);

  // windows [B, seq + 1]: inputs are columns 0..seq-1, targets 1..seq.
  void set_windows(const int32_t* windows);
  // tokens [B, seq], no targets: no loss is computed.
  void set_tokens(const int32_t* tokens);

  int64_t rows() const { return B * Tn; }
  // Memory the activations and their workspace hold, in bytes.
  size_t bytes() const;
  // The input the layer's attention reads: the LayerNorm output, or the residual stream itself.
  const T* attn_input(int layer) const;
  const T* final_input() const;
  // The stream the layer's MLP reads before LN2: the block input (parallel) or resid_mid.
  const T* mlp_stream(int layer) const;
  // What the MLP's W_in multiplies: the LN2 output, or that stream itself.
  const T* mlp_input(int layer) const;

  // The kept hook points of this pass (hook_logits when the logits are kept).
  std::vector<std::string> hook_names() const;
  // A contiguous copy of a kept point; any other name is a cs::Error that says why.
  HookTensor<T> hook(const std::string& name) const;
  // Where a kept point's values lie in these buffers (writable when the Activations are).
  HookView<T> view(const HookPoint& point) const;
  // q (slot 0), k (1) or v (2) of a layer, as the qkv buffer holds them now.
  HookView<T> qkv_slot(int layer, int slot) const;
  // blocks.{l}.attn.hook_result [B, T, H, D], computed on demand from z and W_O.
  HookTensor<T> head_result(const Params<T>& params, int layer) const;
  T mean_loss() const;
};

}  // namespace cs
