#pragma once
// The hook points of a model: TransformerLens's names, in the order a forward pass reaches them,
// with TransformerLens's shapes (batch axis first) and meanings (docs/python.md, "Hook points").
// This one table serves the C++ cache (Activations::hook), the forward pass's hooks
// (Interventions::hooks), the Python module and the viewer.
#include <cstdint>
#include <string>
#include <vector>

#include "model/config.h"

namespace cs {

enum class HookSite {
  embed,           // hook_embed: W_E[token]
  pos_embed,       // hook_pos_embed: W_pos[position] (standard and shortformer positions)
  resid_pre,       // blocks.{l}.hook_resid_pre
  ln1_normalized,  // blocks.{l}.ln1.hook_normalized
  q, k, v,         // blocks.{l}.attn.hook_q|k|v, before rotary
  rot_q, rot_k,    // blocks.{l}.attn.hook_rot_q|rot_k, after rotary (rotary models)
  attn_scores,     // blocks.{l}.attn.hook_attn_scores: q k^T / sqrt(d_head), -inf above the diagonal
  pattern,         // blocks.{l}.attn.hook_pattern
  z,               // blocks.{l}.attn.hook_z
  result,          // blocks.{l}.attn.hook_result: each head's z W_O, before the sum over heads and b_O
  attn_out,        // blocks.{l}.hook_attn_out
  resid_mid,       // blocks.{l}.hook_resid_mid (sequential blocks with an MLP)
  ln2_normalized,  // blocks.{l}.ln2.hook_normalized
  mlp_pre,         // blocks.{l}.mlp.hook_pre
  mlp_post,        // blocks.{l}.mlp.hook_post
  mlp_out,         // blocks.{l}.hook_mlp_out
  resid_post,      // blocks.{l}.hook_resid_post
  ln_final,        // ln_final.hook_normalized
  logits,          // hook_logits: not a TransformerLens hook point; the cache's logits
};

struct HookPoint {
  std::string name;
  HookSite site;
  int layer = -1;              // -1 outside the blocks
  std::vector<int64_t> shape;  // with the batch axis
  // The pass goes on from what a hook leaves here. Read-only: shortformer positions (each layer
  // reads them from W_pos) and the logits.
  bool replaceable = true;
  // A finished pass's Activations hold exactly these values (Activations::hook reads them with no
  // hook); the others exist only while the pass runs, where a hook sees them.
  bool kept = true;
};

// Every hook point of `cfg` for a pass over [batch, seq] tokens, in the order the pass reaches
// them; hook_logits last.
std::vector<HookPoint> hook_points(const Config& cfg, int64_t batch, int64_t seq);

// The point named `name`; nullptr when the model has none of that name.
const HookPoint* find_hook_point(const std::vector<HookPoint>& points, const std::string& name);

}  // namespace cs
