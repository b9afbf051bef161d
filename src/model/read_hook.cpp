#include "model/read_hook.h"

#include "core/error.h"
#include "model/ops/attention_scores.h"
#include "model/ops/bias.h"
#include "model/ops/embed.h"
#include "model/ops/projections.h"

namespace cs {

namespace {

// q (slot 0) or k (slot 1) of layer l before rotary: the projection of the attention's input again.
template <class T>
HookTensor<T> unrotated(const Params<T>& params, const Activations<T>& acts, int l, int slot) {
  const auto& c = acts.cfg;
  const int64_t R = acts.rows(), D = c.d_model, H = c.n_heads, K = c.d_head;
  std::vector<T> qkv(R * 3 * H * K);
  qkv_forward(acts.attn_input(l), acts.attn_input(l), acts.packed.data() + int64_t(l) * D * 3 * H * K, qkv.data(), R,
              D, H * K);
  if (c.biases) bias_forward(qkv.data(), acts.packed_bias.data() + l * 3 * H * K, R, 3 * H * K, 3 * H * K);
  HookTensor<T> out{{acts.B, acts.Tn, H, K}, std::vector<T>(R * H * K)};
  for (int64_t r = 0; r < R; ++r)
    std::copy_n(qkv.data() + r * 3 * H * K + slot * H * K, H * K, out.data.data() + r * H * K);
  return out;
}

}  // namespace

template <class T>
HookTensor<T> read_hook(const Params<T>& params, const Activations<T>& acts, const std::string& name) {
  const std::vector<HookPoint> points = hook_points(acts.cfg, acts.B, acts.Tn);
  const HookPoint* p = find_hook_point(points, name);
  CS_CHECK(p, "no hook point named '" << name << "' in this model");
  if (p->kept) return acts.hook(name);
  const auto& c = acts.cfg;
  const int64_t B = acts.B, Tn = acts.Tn, D = c.d_model, H = c.n_heads, K = c.d_head;
  HookTensor<T> out{p->shape, {}};
  int64_t n = 1;
  for (int64_t d : p->shape) n *= d;
  out.data.assign(size_t(n), T(0));
  switch (p->site) {
    case HookSite::embed:
      embed_forward(acts.tokens.data(), params.ptr(params.layout.W_E), static_cast<const T*>(nullptr),
                    out.data.data(), B, Tn, D);
      return out;
    case HookSite::pos_embed:
      add_positions_forward(out.data.data(), params.ptr(params.layout.W_pos), out.data.data(), B, Tn, D);
      return out;
    case HookSite::q: return unrotated(params, acts, p->layer, 0);
    case HookSite::k: return unrotated(params, acts, p->layer, 1);
    case HookSite::attn_scores:
      attention_scores_forward(acts.qkv[size_t(p->layer)].data(), out.data.data(), B, Tn, H, K);
      return out;
    case HookSite::result: return acts.head_result(params, p->layer);
    case HookSite::attn_out: {  // attention-only blocks: the heads' sum, with b_O
      const HookTensor<T> r = acts.head_result(params, p->layer);
      sum_heads_forward(r.data.data(), out.data.data(), acts.rows(), H, D);
      if (c.biases) bias_forward(out.data.data(), params.ptr(params.layout.blocks[size_t(p->layer)].b_O), acts.rows(), D, D);
      return out;
    }
    default: fail(name + " cannot be read after the pass");
  }
}

template HookTensor<float> read_hook<float>(const Params<float>&, const Activations<float>&, const std::string&);
template HookTensor<double> read_hook<double>(const Params<double>&, const Activations<double>&, const std::string&);

}  // namespace cs
