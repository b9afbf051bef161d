// An attention-only model trains exactly as it did before MLP blocks, biases and partial rotary
// joined the engine: the losses and the final weights below were recorded from the engine of
// that time (one thread, float, the demo's kind of model at a small size). Any change to the
// attention-only path's arithmetic, however small, changes these bits.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

#include "core/gemm.h"
#include "core/rng.h"
#include "model/backward.h"
#include "model/forward.h"
#include "train/adamw.h"

namespace cs {
namespace {

struct Trajectory {
  std::vector<float> losses;
  uint64_t weights_hash = 0;  // FNV-1a over the final weights' bytes
};

Trajectory train_small(Positions pos, Normalization norm) {
  set_num_threads(1);
  Config c;
  c.n_layers = 2;
  c.n_heads = 4;
  c.d_model = 32;
  c.d_head = 8;
  c.n_ctx = 48;
  c.d_vocab = 97;
  c.positional_embedding_type = pos;
  c.normalization_type = norm;
  Params<float> params(c);
  params.init(11);
  Params<float> grads(c);
  AdamW<float> opt(params.layout, AdamWConfig{});
  const int B = 4;
  Activations<float> acts(c, B, c.n_ctx);
  Rng rng(5);
  std::vector<int32_t> windows(B * (c.n_ctx + 1));
  Trajectory t;
  for (int step = 0; step < 12; ++step) {
    // Repeated halves, so attention has something to learn.
    for (int b = 0; b < B; ++b)
      for (int i = 0; i <= c.n_ctx; ++i)
        windows[b * (c.n_ctx + 1) + i] = i < 24 ? int32_t(rng.below(c.d_vocab)) : windows[b * (c.n_ctx + 1) + i - 24];
    acts.set_windows(windows.data());
    t.losses.push_back(forward_backward(params, acts, grads));
    opt.clip(grads);
    opt.step(params, grads, 3e-3);
  }
  uint64_t h = 1469598103934665603ULL;
  for (float w : params.data) {
    uint32_t bits;
    std::memcpy(&bits, &w, 4);
    for (int k = 0; k < 4; ++k) h = (h ^ ((bits >> (8 * k)) & 0xff)) * 1099511628211ULL;
  }
  t.weights_hash = h;
  return t;
}

void print(const Trajectory& t) {
  std::printf("losses:");
  for (float l : t.losses) std::printf(" %a", double(l));
  std::printf("\nweights hash: 0x%016llx\n", static_cast<unsigned long long>(t.weights_hash));
}

TEST(AttentionOnlyUnchanged, ShortformerWithoutNormalization) {
  const Trajectory t = train_small(Positions::shortformer, Normalization::none);
  print(t);
  EXPECT_EQ(t.losses.front(), 0x1.25c1e6p+2f);
  EXPECT_EQ(t.losses.back(), 0x1.246562p+2f);
  EXPECT_EQ(t.weights_hash, 0xcb0fe6107694616fULL);
}

TEST(AttentionOnlyUnchanged, RotaryWithLayerNorm) {
  const Trajectory t = train_small(Positions::rotary, Normalization::LN);
  print(t);
  EXPECT_EQ(t.losses.front(), 0x1.3d035ap+2f);
  EXPECT_EQ(t.losses.back(), 0x1.2cec12p+2f);
  EXPECT_EQ(t.weights_hash, 0x75ac98b6740bfabeULL);
}

}  // namespace
}  // namespace cs
