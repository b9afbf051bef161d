// The hook table (model/hook_points.h), the cache read by name, and hooks on a forward pass
// (model/hooks.h): what hooks see is what the pass computes, what they change is what it goes on
// with, and a pass without hooks is untouched by the machinery.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "model/activations.h"
#include "model/forward.h"
#include "model/read_hook.h"
#include "model_fixtures.h"

namespace cs {
namespace {

// Every configuration the table distinguishes: depth, positions, normalization, MLP blocks.
std::vector<Config> configs() {
  std::vector<Config> out;
  for (int n_layers : {0, 1, 2})
    for (Positions pos : {Positions::standard, Positions::shortformer, Positions::rotary})
      for (Normalization norm : {Normalization::none, Normalization::LN})
        for (int d_mlp : {0, 12}) {
          Config c = test::tiny_config(n_layers, pos, norm);
          c.d_mlp = d_mlp;
          c.biases = d_mlp > 0;
          c.parallel_attn_mlp = d_mlp > 0 && pos == Positions::rotary;
          out.push_back(c);
        }
  return out;
}

std::string what(const Config& c) {
  return std::to_string(c.n_layers) + " layers, " + to_string(c.positional_embedding_type) + ", d_mlp " +
         std::to_string(c.d_mlp) + (c.normalized() ? ", LN" : "");
}

template <class T>
Activations<T> pass(const Config& c, const Params<T>& p, const Interventions<T>* iv = nullptr,
                    Keep keep = Keep::every_layer) {
  Activations<T> acts(c, 2, 5, true, keep);
  const std::vector<int32_t> windows = test::random_windows(2, 5, c.d_vocab, 4);
  acts.set_windows(windows.data());
  forward(p, acts, iv);
  return acts;
}

TEST(Hooks, TheTableNamesWhatTheCacheAndReadHookGive) {
  for (const Config& c : configs()) {
    const Params<float> p = test::random_params<float>(c, 3);
    const Activations<float> acts = pass(c, p);
    const std::vector<HookPoint> points = hook_points(c, 2, 5);
    EXPECT_EQ(points.front().name, "hook_embed");
    EXPECT_EQ(points.back().name, "hook_logits");
    for (const HookPoint& point : points) {
      const HookTensor<float> t = read_hook(p, acts, point.name);
      EXPECT_EQ(t.shape, point.shape) << point.name << " with " << what(c);
      EXPECT_EQ(t.shape.front(), 2) << point.name;
      if (!point.kept) {
        EXPECT_THROW(acts.hook(point.name), Error) << point.name;
      }
    }
    const bool rotary = c.positional_embedding_type == Positions::rotary;
    EXPECT_EQ(find_hook_point(points, "hook_pos_embed") != nullptr, !rotary) << what(c);
    if (c.n_layers > 0) {
      EXPECT_EQ(find_hook_point(points, "blocks.0.attn.hook_rot_q") != nullptr, rotary);
      EXPECT_EQ(find_hook_point(points, "blocks.0.mlp.hook_pre") != nullptr, c.d_mlp > 0);
    }
    EXPECT_THROW(read_hook(p, acts, "blocks.9.attn.hook_z"), Error);
  }
}

TEST(Hooks, EmbeddingsApartAddUpToTheStream) {
  const Config c = test::tiny_config(1, Positions::standard, Normalization::none);
  const Params<float> p = test::random_params<float>(c, 3);
  const Activations<float> acts = pass(c, p);
  const HookTensor<float> e = read_hook(p, acts, "hook_embed"), pos = read_hook(p, acts, "hook_pos_embed");
  const HookTensor<float> resid = acts.hook("blocks.0.hook_resid_pre");
  for (size_t i = 0; i < resid.data.size(); ++i) EXPECT_FLOAT_EQ(resid.data[i], e.data[i] + pos.data[i]);
  // Position t of either batch row holds W_pos[t].
  EXPECT_EQ(pos.data[size_t(3 * c.d_model + 1)], p["pos_embed.W_pos"][3 * c.d_model + 1]);
  EXPECT_EQ(pos.data[size_t((5 + 3) * c.d_model + 1)], p["pos_embed.W_pos"][3 * c.d_model + 1]);
}

// Hooks that change nothing, on every point, in double: the unfused steps they force (scores, the
// MLP's halves, each head's result) give the fused pass's numbers, and what each hook saw is what
// read_hook gives after a pass without hooks.
TEST(Hooks, IdentityHooksOnEveryPointSeeWhatTheCacheHolds) {
  for (const Config& c : configs()) {
    const Params<double> p = test::random_params<double>(c, 5);
    const Activations<double> plain = pass(c, p);
    std::vector<std::string> seen;
    ForwardHooks<double> hooks;
    hooks.call = [&](const HookPoint& point, const HookView<double>& v) {
      seen.push_back(point.name);
      ASSERT_EQ(v.shape, point.shape) << point.name;
      std::vector<double> values(read_hook(p, plain, point.name).data.size());
      copy_view(v, values.data());
      const std::vector<double> after = read_hook(p, plain, point.name).data;
      for (size_t i = 0; i < values.size(); ++i)
        if (std::isfinite(after[i]) || std::isfinite(values[i])) {
          ASSERT_NEAR(values[i], after[i], 1e-10) << point.name << " with " << what(c);
        }
    };
    Interventions<double> iv;
    iv.hooks = &hooks;
    const Activations<double> hooked = pass(c, p, &iv);
    std::vector<std::string> names;
    for (const HookPoint& point : hook_points(c, 2, 5)) names.push_back(point.name);
    EXPECT_EQ(seen, names) << what(c);
    for (size_t i = 0; i < plain.logits.size(); ++i)
      EXPECT_NEAR(hooked.logits[i], plain.logits[i], 1e-10) << what(c);
  }
}

TEST(Hooks, ZeroingAHeadsZIsTheZeroAblation) {
  const Config c = test::tiny_config(2, Positions::rotary, Normalization::LN);
  const Params<float> p = test::random_params<float>(c, 7);
  Interventions<float> ablated;
  ablated.ablate = {{1, 1, HeadAblation::Kind::zero}};
  ForwardHooks<float> hooks;
  hooks.wants = [](const HookPoint& point) { return point.name == "blocks.1.attn.hook_z"; };
  hooks.call = [](const HookPoint&, const HookView<float>& z) {
    for (int64_t r = 0; r < z.shape[0] * z.shape[1]; ++r)
      for (int64_t k = 0; k < z.shape[3]; ++k) z.data[r * z.strides[1] + 1 * z.strides[2] + k] = 0;
  };
  Interventions<float> hooked;
  hooked.hooks = &hooks;
  EXPECT_EQ(pass(c, p, &hooked).logits, pass(c, p, &ablated).logits);
  EXPECT_NE(pass(c, p, &hooked).logits, pass(c, p).logits);
}

TEST(Hooks, ReplacingThePatternIsTheFrozenPatternPass) {
  const Config c = test::tiny_config(2, Positions::shortformer, Normalization::none);
  const Params<float> p = test::random_params<float>(c, 9);
  const Params<float> other_params = test::random_params<float>(c, 10);
  const Activations<float> other = pass(c, other_params);  // patterns of another model
  Interventions<float> frozen;
  frozen.freeze_patterns = &other;
  ForwardHooks<float> hooks;
  hooks.call = [&](const HookPoint& point, const HookView<float>& v) {
    if (point.site == HookSite::pattern) copy_to_view(other.pattern[size_t(point.layer)].data(), v);
  };
  Interventions<float> hooked;
  hooked.hooks = &hooks;
  // Equal but for rounding: the frozen pass projects the values alone, a GEMM of another shape.
  const std::vector<float> a = pass(c, p, &hooked).logits, b = pass(c, p, &frozen).logits;
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-5) << i;
  const std::vector<float> plain = pass(c, p).logits;
  float changed = 0;
  for (size_t i = 0; i < a.size(); ++i) changed = std::max(changed, std::abs(a[i] - plain[i]));
  EXPECT_GT(changed, 1e-2) << "the other model's patterns changed nothing";
}

TEST(Hooks, APassKeepingOneLayerGivesTheSameLoss) {
  for (const Config& c : configs()) {
    const Params<float> p = test::random_params<float>(c, 11);
    const Activations<float> every = pass(c, p), current = pass<float>(c, p, nullptr, Keep::current_layer);
    EXPECT_EQ(every.loss, current.loss) << what(c);
    EXPECT_EQ(every.logits, current.logits) << what(c);
    if (c.n_layers > 0) {
      EXPECT_THROW(current.hook("blocks.0.hook_resid_pre"), Error);
    }
  }
}

TEST(Hooks, PathOrderCapsRefuseHooks) {
  const Config c = test::tiny_config(2, Positions::shortformer, Normalization::none);
  const Params<float> p = test::random_params<float>(c, 3);
  ForwardHooks<float> hooks;
  hooks.call = [](const HookPoint&, const HookView<float>&) {};
  Interventions<float> iv;
  iv.hooks = &hooks;
  iv.max_path_order = 1;
  EXPECT_THROW(pass(c, p, &iv), Error);
}

}  // namespace
}  // namespace cs
