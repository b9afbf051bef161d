#include "model/hook_points.h"

namespace cs {

namespace {

// The points of block l, in the order the block computes them.
void block_points(const Config& c, int l, int64_t B, int64_t T, std::vector<HookPoint>& out) {
  const int64_t D = c.d_model, H = c.n_heads, K = c.d_head, M = c.d_mlp;
  const std::string p = "blocks." + std::to_string(l) + ".";
  const bool rotary = c.positional_embedding_type == Positions::rotary;
  auto add = [&](const std::string& name, HookSite site, std::vector<int64_t> shape, bool kept = true) {
    out.push_back({p + name, site, l, std::move(shape), true, kept});
  };
  add("hook_resid_pre", HookSite::resid_pre, {B, T, D});
  if (c.normalized()) add("ln1.hook_normalized", HookSite::ln1_normalized, {B, T, D});
  // The cache's q and k buffer is turned by rotary in place: it holds hook_rot_q and hook_rot_k.
  add("attn.hook_q", HookSite::q, {B, T, H, K}, !rotary);
  add("attn.hook_k", HookSite::k, {B, T, H, K}, !rotary);
  add("attn.hook_v", HookSite::v, {B, T, H, K});
  if (rotary) {
    add("attn.hook_rot_q", HookSite::rot_q, {B, T, H, K});
    add("attn.hook_rot_k", HookSite::rot_k, {B, T, H, K});
  }
  add("attn.hook_attn_scores", HookSite::attn_scores, {B, H, T, T}, false);
  add("attn.hook_pattern", HookSite::pattern, {B, H, T, T});
  add("attn.hook_z", HookSite::z, {B, T, H, K});
  add("attn.hook_result", HookSite::result, {B, T, H, D}, false);
  // Attention-only blocks add the heads straight into the stream: no buffer holds their sum.
  add("hook_attn_out", HookSite::attn_out, {B, T, D}, !c.attn_only());
  if (!c.attn_only()) {
    if (!c.parallel_attn_mlp) add("hook_resid_mid", HookSite::resid_mid, {B, T, D});
    if (c.normalized()) add("ln2.hook_normalized", HookSite::ln2_normalized, {B, T, D});
    add("mlp.hook_pre", HookSite::mlp_pre, {B, T, M});
    add("mlp.hook_post", HookSite::mlp_post, {B, T, M});
    add("hook_mlp_out", HookSite::mlp_out, {B, T, D});
  }
  add("hook_resid_post", HookSite::resid_post, {B, T, D});
}

}  // namespace

std::vector<HookPoint> hook_points(const Config& c, int64_t B, int64_t T) {
  const int64_t D = c.d_model;
  // The stream starts as the token embedding alone unless standard positions are added to it.
  const bool standard = c.positional_embedding_type == Positions::standard;
  std::vector<HookPoint> out = {{"hook_embed", HookSite::embed, -1, {B, T, D}, true, !standard}};
  if (c.has_pos_embed())
    out.push_back({"hook_pos_embed", HookSite::pos_embed, -1, {B, T, D}, standard, false});
  for (int l = 0; l < c.n_layers; ++l) block_points(c, l, B, T, out);
  if (c.normalized()) out.push_back({"ln_final.hook_normalized", HookSite::ln_final, -1, {B, T, D}, true, true});
  out.push_back({"hook_logits", HookSite::logits, -1, {B, T, int64_t(c.d_vocab)}, false, true});
  return out;
}

const HookPoint* find_hook_point(const std::vector<HookPoint>& points, const std::string& name) {
  for (const HookPoint& p : points)
    if (p.name == name) return &p;
  return nullptr;
}

}  // namespace cs
