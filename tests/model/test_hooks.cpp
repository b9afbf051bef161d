// Every hook name the cache lists can be read under that name, for every depth (a model without
// layers included), position mode and normalization, with the shapes of TransformerLens.
#include <gtest/gtest.h>

#include "model/activations.h"
#include "model/forward.h"
#include "model_fixtures.h"

namespace cs {
namespace {

TEST(Hooks, EveryListedNameCanBeRead) {
  for (int n_layers : {0, 1, 2})
    for (Positions pos : {Positions::standard, Positions::shortformer, Positions::rotary})
      for (Normalization norm : {Normalization::none, Normalization::LN}) {
        const Config c = test::tiny_config(n_layers, pos, norm);
        const Params<float> p = test::random_params<float>(c, 3);
        Activations<float> acts(c, 2, 5, true);
        const std::vector<int32_t> windows = test::random_windows(2, 5, c.d_vocab, 4);
        acts.set_windows(windows.data());
        forward(p, acts);
        const std::vector<std::string> names = acts.hook_names();
        ASSERT_FALSE(names.empty());
        for (const std::string& name : names) {
          const HookTensor<float> t = acts.hook(name);
          int64_t n = 1;
          for (int64_t d : t.shape) n *= d;
          EXPECT_EQ(int64_t(t.data.size()), n) << name << " with " << n_layers << " layers";
          EXPECT_EQ(t.shape.front(), 2) << name;
        }
        if (n_layers > 0) {
          const HookTensor<float> pattern = acts.hook("blocks.0.attn.hook_pattern");
          EXPECT_EQ(pattern.shape, (std::vector<int64_t>{2, c.n_heads, 5, 5}));
        }
      }
}

}  // namespace
}  // namespace cs
