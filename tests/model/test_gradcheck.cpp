// Every parameter's gradient against central finite differences, in double precision, for each
// position mode, normalization and depth 0-3.
#include <gtest/gtest.h>

#include <cmath>
#include <tuple>

#include "core/gemm.h"
#include "model/backward.h"
#include "model/forward.h"
#include "model_fixtures.h"

namespace cs {
namespace {

using Case = std::tuple<int, Positions, Normalization>;

// Tn < n_ctx: unused W_pos rows must get zero gradient.
void check_every_gradient(const Config& c, int Tn) {
  const int L = c.n_layers;
  const Positions pos = c.positional_embedding_type;
  set_num_threads(1);  // tiny shapes: threads only add scheduling noise
  const int B = 2;
  Params<double> params = test::random_params<double>(c, 1000 + L);
  const auto windows = test::random_windows(B, Tn, c.d_vocab, 7);
  Activations<double> acts(c, B, Tn);
  acts.set_windows(windows.data());
  Params<double> grads(c);
  const double loss = forward_backward(params, acts, grads);
  EXPECT_GT(loss, 0.5);

  auto loss_at = [&](int64_t i, double delta) {
    const double saved = params.data[i];
    params.data[i] = saved + delta;
    forward(params, acts);
    params.data[i] = saved;
    return acts.mean_loss();
  };
  const double h = 1e-5;
  for (const auto& v : params.layout.views()) {
    double max_err = 0, max_ref = 0;
    for (int64_t k = 0; k < v.numel; ++k) {
      const int64_t i = v.offset + k;
      const double numeric = (loss_at(i, h) - loss_at(i, -h)) / (2 * h);
      max_err = std::max(max_err, std::abs(numeric - grads.data[i]));
      max_ref = std::max(max_ref, std::abs(numeric));
    }
    // Only shortformer positions in a model with no attention layer are read by nothing.
    const bool unused = L == 0 && pos == Positions::shortformer && v.name == "pos_embed.W_pos";
    if (unused) {
      EXPECT_EQ(max_err, 0.0) << v.name << " is unused and must get a zero gradient";
      continue;
    }
    // b_K adds the same score to every key of a query unless rotary turns it by position:
    // softmax ignores it, and its gradient is zero up to roundoff.
    if (v.name.ends_with("attn.b_K") && pos != Positions::rotary) {
      EXPECT_LT(max_err, 1e-9) << v.name;
      continue;
    }
    ASSERT_GT(max_ref, 1e-6) << v.name << " has no gradient at all";
    EXPECT_LT(max_err / max_ref, 1e-6) << v.name << ": max error " << max_err << " vs " << max_ref;
  }
  if (c.has_pos_embed()) {
    const double* g = grads["pos_embed.W_pos"];
    for (int64_t t = Tn; t < c.n_ctx; ++t)
      for (int d = 0; d < c.d_model; ++d) EXPECT_EQ(g[t * c.d_model + d], 0.0);
  }
}

class GradCheck : public ::testing::TestWithParam<Case> {};

TEST_P(GradCheck, EveryParameterMatchesFiniteDifferences) {
  const auto [L, pos, norm] = GetParam();
  check_every_gradient(test::tiny_config(L, pos, norm), 6);
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  const auto [L, pos, norm] = info.param;
  std::string n = to_string(norm) == "null" ? "nonorm" : to_string(norm);
  return "L" + std::to_string(L) + "_" + to_string(pos) + "_" + n;
}

INSTANTIATE_TEST_SUITE_P(
    AllModes, GradCheck,
    ::testing::Combine(::testing::Values(0, 1, 2, 3),
                       ::testing::Values(Positions::standard, Positions::shortformer, Positions::rotary),
                       ::testing::Values(Normalization::none, Normalization::LNPre, Normalization::LN)),
    case_name);

}  // namespace
}  // namespace cs

namespace cs {
namespace {

// The attention kernels work on blocks of 64 bytes of keys (8 doubles, 16 floats) with a masked
// tail: sequences of several blocks and a ragged end take paths that 6 tokens never reach.
class GradCheckLong : public ::testing::TestWithParam<Positions> {};

TEST_P(GradCheckLong, SeveralKeyBlocksMatchFiniteDifferences) {
  Config c = test::tiny_config(2, GetParam(), Normalization::LN);
  c.n_ctx = 40;
  check_every_gradient(c, 37);
}

// d_head 8 fills a vector of doubles: the forward accumulates whole value rows (the path float
// models with d_head 16, 32, 64 take).
TEST_P(GradCheckLong, WholeVectorHeadsMatchFiniteDifferences) {
  Config c = test::tiny_config(2, GetParam(), Normalization::LN);
  c.n_ctx = 40;
  c.d_head = 8;
  check_every_gradient(c, 37);
}

INSTANTIATE_TEST_SUITE_P(AllPositions, GradCheckLong,
                         ::testing::Values(Positions::standard, Positions::shortformer,
                                           Positions::rotary),
                         [](const auto& info) { return to_string(info.param); });

}  // namespace
}  // namespace cs

namespace cs {
namespace {

// The float kernels (16 lanes, vector exp) at a realistic length against the double ones, which
// finite differences vouch for above.
class FloatAgreesWithDouble : public ::testing::TestWithParam<Positions> {};

// d_head 16 and 32: the float kernels transpose keys and values in 16 x 16 blocks, one block or
// two across the head; Tn = 197 leaves rows past the last whole block.
TEST_P(FloatAgreesWithDouble, GradientsOverManyKeyBlocks) {
  for (const int d_head : {16, 32}) {
    SCOPED_TRACE("d_head " + std::to_string(d_head));
    Config c = test::tiny_config(2, GetParam(), Normalization::LN);
    c.n_ctx = 200;
    c.d_model = 32;
    c.d_head = d_head;
    c.d_vocab = 300;
    const int B = 3, Tn = 197;
    set_num_threads(2);
    const Params<double> pd = test::random_params<double>(c, 77, 0.3);
    Params<float> pf(c);
    for (size_t i = 0; i < pd.data.size(); ++i) pf.data[i] = float(pd.data[i]);
    const auto windows = test::random_windows(B, Tn, c.d_vocab, 9);
    Activations<double> ad(c, B, Tn);
    Activations<float> af(c, B, Tn);
    ad.set_windows(windows.data());
    af.set_windows(windows.data());
    Params<double> gd(c);
    Params<float> gf(c);
    const double ld = forward_backward(pd, ad, gd);
    const double lf = forward_backward(pf, af, gf);
    EXPECT_NEAR(lf, ld, 1e-5 * ld);
    for (const auto& v : gd.layout.views()) {
      double max_err = 0, max_ref = 0;
      for (int64_t k = 0; k < v.numel; ++k) {
        max_err = std::max(max_err, std::abs(double(gf.data[v.offset + k]) - gd.data[v.offset + k]));
        max_ref = std::max(max_ref, std::abs(gd.data[v.offset + k]));
      }
      ASSERT_GT(max_ref, 0.0) << v.name;
      EXPECT_LT(max_err / max_ref, 1e-4) << v.name << ": max error " << max_err << " vs " << max_ref;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllPositions, FloatAgreesWithDouble,
                         ::testing::Values(Positions::standard, Positions::shortformer,
                                           Positions::rotary),
                         [](const auto& info) { return to_string(info.param); });

}  // namespace
}  // namespace cs

namespace cs {
namespace {

// Models with MLP blocks: each activation, sequential and parallel blocks, every normalization,
// biases and partial rotary.
struct MlpCase {
  int n_layers;
  ActFn act;
  Normalization norm;
  bool parallel;
  bool biases;
  Positions pos;
  int rotary_dim;
};

class GradCheckMlp : public ::testing::TestWithParam<MlpCase> {};

TEST_P(GradCheckMlp, EveryParameterMatchesFiniteDifferences) {
  const MlpCase m = GetParam();
  Config c = test::tiny_config(m.n_layers, m.pos, m.norm);
  c.d_mlp = 12;
  c.act_fn = m.act;
  c.parallel_attn_mlp = m.parallel;
  c.biases = m.biases;
  c.rotary_dim = m.rotary_dim;
  check_every_gradient(c, 6);
}

INSTANTIATE_TEST_SUITE_P(
    Blocks, GradCheckMlp,
    ::testing::Values(MlpCase{1, ActFn::gelu, Normalization::none, false, false, Positions::shortformer, 0},
                      MlpCase{2, ActFn::gelu_new, Normalization::LN, false, true, Positions::standard, 0},
                      MlpCase{2, ActFn::relu, Normalization::LNPre, false, false, Positions::rotary, 0},
                      MlpCase{3, ActFn::gelu, Normalization::LN, true, true, Positions::rotary, 2},
                      MlpCase{2, ActFn::gelu_new, Normalization::none, true, false, Positions::shortformer, 0},
                      MlpCase{1, ActFn::relu, Normalization::LN, true, true, Positions::standard, 0},
                      MlpCase{2, ActFn::gelu, Normalization::LNPre, false, true, Positions::rotary, 2}),
    [](const auto& info) {
      const MlpCase& m = info.param;
      std::string n = to_string(m.norm) == "null" ? "nonorm" : to_string(m.norm);
      return "L" + std::to_string(m.n_layers) + "_" + to_string(m.act) + "_" + n +
             (m.parallel ? "_parallel" : "_sequential") + (m.biases ? "_biases" : "") + "_" +
             to_string(m.pos) + (m.rotary_dim ? "_rotary" + std::to_string(m.rotary_dim) : "");
    });

// Attention-only with biases: b_Q, b_K, b_V, b_O and b_U on their own.
TEST(GradCheckBiases, AttentionOnlyWithBiases) {
  for (Positions pos : {Positions::standard, Positions::rotary}) {
    Config c = test::tiny_config(2, pos, Normalization::none);
    c.biases = true;
    check_every_gradient(c, 6);
  }
}

}  // namespace
}  // namespace cs
