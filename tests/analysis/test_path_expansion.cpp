// Path expansion (docs/evaluators.md) on small random models in double: the full order is the
// model, the terms add up to the stream, and pattern-preserving ablation removes exactly a head's
// terms.
#include "analysis/path_expansion.h"

#include <gtest/gtest.h>

#include <cmath>

#include "../model/model_fixtures.h"
#include "induction_model.h"
#include "core/error.h"
#include "core/gemm.h"
#include "model/forward.h"

namespace cs::analysis {
namespace {

constexpr int B = 3, Tn = 6;

struct Model {
  Config c;
  Params<double> p;
  std::vector<int32_t> windows;
  explicit Model(int L, Positions pos = Positions::shortformer, Normalization norm = Normalization::none)
      : c(test::tiny_config(L, pos, norm)), p(test::random_params<double>(c, 17 + L)),
        windows(test::random_windows(B, Tn, c.d_vocab, 5)) {
    set_num_threads(1);
  }
  Activations<double> run(const Interventions<double>* iv = nullptr) const {
    Activations<double> a(c, B, Tn);
    a.set_windows(windows.data());
    forward(p, a, iv);
    return a;
  }
  // The pass at path order k with the clean patterns frozen.
  Activations<double> run_at_order(const Activations<double>& clean, int k) const {
    Interventions<double> iv;
    iv.freeze_patterns = &clean;
    iv.max_path_order = k;
    return run(&iv);
  }
};

// The virtual head term with loops: A2 (A1 x0 W_V1 W_O1) W_V2 W_O2.
std::vector<double> virtual_by_hand(const Model& m, const Activations<double>& clean, int h1, int h2) {
  const int D = m.c.d_model, H = m.c.n_heads, K = m.c.d_head;
  const double* V1 = m.p["blocks.0.attn.W_V"] + h1 * D * K;
  const double* O1 = m.p["blocks.0.attn.W_O"] + h1 * K * D;
  const double* V2 = m.p["blocks.1.attn.W_V"] + h2 * D * K;
  const double* O2 = m.p["blocks.1.attn.W_O"] + h2 * K * D;
  const std::vector<double>& x0 = clean.resid[0];
  auto head = [&](const std::vector<double>& x, const double* A, const double* Wv, const double* Wo) {
    std::vector<double> out(size_t(B * Tn * D), 0.0);
    for (int b = 0; b < B; ++b)
      for (int i = 0; i < Tn; ++i)
        for (int j = 0; j <= i; ++j) {
          const double a = A[((b * H) * Tn + i) * Tn + j];
          for (int k = 0; k < K; ++k) {
            double v = 0;
            for (int d = 0; d < D; ++d) v += x[size_t((b * Tn + j) * D + d)] * Wv[d * K + k];
            for (int e = 0; e < D; ++e) out[size_t((b * Tn + i) * D + e)] += a * v * Wo[k * D + e];
          }
        }
    return out;
  };
  const std::vector<double> r1 = head(x0, clean.pattern[0].data() + h1 * Tn * Tn, V1, O1);
  return head(r1, clean.pattern[1].data() + h2 * Tn * Tn, V2, O2);
}

TEST(PathExpansion, FullOrderIsTheModelAndOrderZeroTheDirectPath) {
  for (int L : {1, 2, 3}) {
    const Model m(L);
    const Activations<double> clean = m.run();
    PathExpansionOptions o;
    o.batch = 2;  // two batches, of 2 and 1 sequences
    const PathExpansion pe = path_expansion(m.p, m.windows, B, Tn, o);
    ASSERT_EQ(pe.loss_by_order.size(), size_t(L + 1));
    EXPECT_NEAR(pe.loss_by_order.back(), clean.mean_loss(), 1e-12) << L;
    EXPECT_NEAR(pe.clean_loss, clean.mean_loss(), 1e-12);
    EXPECT_NEAR(pe.loss_by_order[0],
                stream_loss(m.p, clean.resid[0].data(), clean.targets.data(), B * Tn), 1e-12);
  }
}

TEST(PathExpansion, VirtualHeadTermMatchesLoopsAndTheTermsSumToTheOrderTwoStream) {
  const Model m(2);
  const Activations<double> clean = m.run();
  const Activations<double> order1 = m.run_at_order(clean, 1);
  const int H = m.c.n_heads, D = m.c.d_model;
  std::vector<double> sum = clean.resid[0];
  for (int l = 0; l < 2; ++l) {
    const HookTensor<double> r = order1.head_result(m.p, l);
    for (int64_t row = 0; row < B * Tn; ++row)
      for (int h = 0; h < H; ++h)
        for (int d = 0; d < D; ++d) sum[size_t(row * D + d)] += r.data[size_t((row * H + h) * D + d)];
  }
  for (int h1 = 0; h1 < H; ++h1)
    for (int h2 = 0; h2 < H; ++h2) {
      const std::vector<double> t = virtual_head_term(m.p, order1, 0, h1, 1, h2);
      const std::vector<double> ref = virtual_by_hand(m, clean, h1, h2);
      for (size_t i = 0; i < t.size(); ++i) ASSERT_NEAR(t[i], ref[i], 1e-12);
      for (size_t i = 0; i < t.size(); ++i) sum[i] += t[i];
    }
  // For two layers the order-2 stream is exactly direct + single-head + virtual-head terms.
  for (size_t i = 0; i < sum.size(); ++i) EXPECT_NEAR(sum[i], clean.resid[2][i], 1e-12);
}

TEST(PathExpansion, PatternPreservingAblationRemovesExactlyTheHeadsTerms) {
  const Model m(2);
  const Activations<double> clean = m.run();
  const Activations<double> order1 = m.run_at_order(clean, 1);
  const PathExpansion pe = path_expansion(m.p, m.windows, B, Tn);
  const int H = m.c.n_heads, D = m.c.d_model;
  for (int l = 0; l < 2; ++l)
    for (int h = 0; h < H; ++h) {
      // The head's direct term, plus its virtual heads: into every layer-1 head (layer 0) or
      // from every layer-0 head (layer 1).
      std::vector<double> s = clean.resid[2];
      const HookTensor<double> r = order1.head_result(m.p, l);
      for (int64_t row = 0; row < B * Tn; ++row)
        for (int d = 0; d < D; ++d) s[size_t(row * D + d)] -= r.data[size_t((row * H + h) * D + d)];
      for (int o = 0; o < H; ++o) {
        const std::vector<double> t = l == 0 ? virtual_by_hand(m, clean, h, o) : virtual_by_hand(m, clean, o, h);
        for (size_t i = 0; i < s.size(); ++i) s[i] -= t[i];
      }
      const double by_hand = stream_loss(m.p, s.data(), clean.targets.data(), B * Tn);
      Interventions<double> ab;
      ab.freeze_patterns = &clean;
      ab.ablate = {{l, h, HeadAblation::Kind::zero}};
      EXPECT_NEAR(m.run(&ab).mean_loss(), by_hand, 1e-12) << l << "." << h;
      EXPECT_NEAR(pe.head_all_terms[size_t(l * H + h)], by_hand - clean.mean_loss(), 1e-12);
      // At order 1 the head's only term is its direct one.
      std::vector<double> s1 = order1.resid[2];
      for (int64_t row = 0; row < B * Tn; ++row)
        for (int d = 0; d < D; ++d) s1[size_t(row * D + d)] -= r.data[size_t((row * H + h) * D + d)];
      EXPECT_NEAR(pe.head_term[size_t(l * H + h)],
                  stream_loss(m.p, s1.data(), clean.targets.data(), B * Tn) - order1.mean_loss(), 1e-12);
    }
  // Each virtual head's importance: the order-2 stream without that one term.
  ASSERT_EQ(pe.virtual_heads.size(), size_t(H * H));
  for (const VirtualHeadTerm& v : pe.virtual_heads) {
    std::vector<double> s = clean.resid[2];
    const std::vector<double> t = virtual_by_hand(m, clean, v.head1, v.head2);
    for (size_t i = 0; i < s.size(); ++i) s[i] -= t[i];
    EXPECT_NEAR(v.importance, stream_loss(m.p, s.data(), clean.targets.data(), B * Tn) - clean.mean_loss(), 1e-12);
  }
  for (size_t i = 1; i < pe.virtual_heads.size(); ++i)
    EXPECT_GE(pe.virtual_heads[i - 1].importance, pe.virtual_heads[i].importance);
  const auto j = pe.to_json();
  EXPECT_NE(j["patterns"].get<std::string>().find("frozen"), std::string::npos);
  EXPECT_EQ(j["marginal_nats"].size(), 2u);
  EXPECT_NEAR(j["marginal_nats"][1]["nats"].get<double>(), pe.loss_by_order[1] - pe.loss_by_order[2], 1e-15);
}

TEST(PathExpansion, ThreeLayerImportancesEqualStreamsWithoutTheTerms) {
  // Three layers: order 2 is a pass of its own, and each pair of layers has its virtual heads.
  const Model m(3);
  const Activations<double> clean = m.run();
  const Activations<double> order1 = m.run_at_order(clean, 1), order2 = m.run_at_order(clean, 2);
  const PathExpansion pe = path_expansion(m.p, m.windows, B, Tn);
  const int H = m.c.n_heads, D = m.c.d_model;
  ASSERT_EQ(pe.virtual_heads.size(), size_t(3 * H * H));
  for (const VirtualHeadTerm& v : pe.virtual_heads) {
    std::vector<double> s = order2.resid[3];
    const std::vector<double> t = virtual_head_term(m.p, order1, v.layer1, v.head1, v.layer2, v.head2);
    for (size_t i = 0; i < s.size(); ++i) s[i] -= t[i];
    EXPECT_NEAR(v.importance, stream_loss(m.p, s.data(), clean.targets.data(), B * Tn) - order2.mean_loss(),
                1e-12);
  }
  for (int l = 0; l < 3; ++l)
    for (int h = 0; h < H; ++h) {
      Interventions<double> ab;
      ab.freeze_patterns = &clean;
      ab.ablate = {{l, h, HeadAblation::Kind::zero}};
      EXPECT_NEAR(pe.head_all_terms[size_t(l * H + h)], m.run(&ab).mean_loss() - clean.mean_loss(), 1e-12);
      std::vector<double> s1 = order1.resid[3];
      const HookTensor<double> r = order1.head_result(m.p, l);
      for (int64_t row = 0; row < B * Tn; ++row)
        for (int d = 0; d < D; ++d) s1[size_t(row * D + d)] -= r.data[size_t((row * H + h) * D + d)];
      EXPECT_NEAR(pe.head_term[size_t(l * H + h)],
                  stream_loss(m.p, s1.data(), clean.targets.data(), B * Tn) - order1.mean_loss(), 1e-12);
    }
}

TEST(PathExpansion, TermSequencesBoundTheImportancePasses) {
  const Model m(2);
  PathExpansionOptions o;
  o.batch = 1;
  o.term_sequences = 1;
  const PathExpansion pe = path_expansion(m.p, m.windows, B, Tn, o);
  EXPECT_EQ(pe.term_sequences, 1);
  // The first sequence alone.
  std::vector<int32_t> first(m.windows.begin(), m.windows.begin() + Tn + 1);
  o.term_sequences = -1;
  const PathExpansion one = path_expansion(m.p, first, 1, Tn, o);
  for (size_t i = 0; i < pe.head_term.size(); ++i) EXPECT_NEAR(pe.head_term[i], one.head_term[i], 1e-12);
}

TEST(PathExpansion, DirectPathByDistinctTokenEqualsTheOrderZeroPass) {
  // Shortformer and rotary positions leave the layer-0 stream to the token alone, so the order-0
  // loss is taken once per distinct token; standard positions take the per-batch pass. Both
  // must equal the model's own order-0 pass, LayerNorm included.
  for (Positions pos : {Positions::standard, Positions::shortformer, Positions::rotary})
    for (Normalization norm : {Normalization::none, Normalization::LN}) {
      const Model m(2, pos, norm);
      Interventions<double> iv;
      iv.max_path_order = 0;
      PathExpansionOptions o;
      o.term_sequences = 0;
      EXPECT_NEAR(path_expansion(m.p, m.windows, B, Tn, o).loss_by_order[0], m.run(&iv).mean_loss(), 1e-12)
          << int(pos) << " " << int(norm);
    }
}

TEST(PathExpansion, NormalizedAndOneLayerModelsSayWhyThereAreNoVirtualHeads) {
  const Model ln(2, Positions::shortformer, Normalization::LN);
  const PathExpansion a = path_expansion(ln.p, ln.windows, B, Tn);
  EXPECT_TRUE(a.virtual_heads.empty());
  EXPECT_NE(a.virtual_heads_note.find("normalized"), std::string::npos);
  EXPECT_NEAR(a.loss_by_order.back(), ln.run().mean_loss(), 1e-12);
  const Model one(1);
  EXPECT_TRUE(path_expansion(one.p, one.windows, B, Tn).virtual_heads.empty());
}

TEST(PathExpansion, HandBuiltInductionCircuitLivesInOneSingleHeadTerm) {
  // Order 0: W_U reads nothing the embedding writes, so the logits are uniform. 1.0 reads the
  // token itself through V, so with frozen patterns its term is complete at order 1: virtual
  // heads add nothing, although 0.0 is what makes 1.0 attend where it does.
  set_num_threads(1);
  const test::InductionModel m;
  const std::vector<int32_t> windows = test::InductionModel::repeated_windows(4, 3);
  const PathExpansion pe = path_expansion(m.params, windows, 4, test::InductionModel::T);
  EXPECT_NEAR(pe.loss_by_order[0], std::log(double(test::InductionModel::V)), 1e-5);
  EXPECT_NEAR(pe.loss_by_order[1], pe.loss_by_order[2], 1e-5);
  EXPECT_LT(pe.clean_loss, pe.loss_by_order[0] - 1.0);  // the second half is predicted
  EXPECT_NEAR(pe.head_term[0], 0.0, 1e-6);  // 0.0 writes E', which W_U does not read
  EXPECT_GT(pe.head_term[2], 1.0);          // 1.0 carries everything
  for (const VirtualHeadTerm& v : pe.virtual_heads) EXPECT_NEAR(v.importance, 0.0, 1e-5);
}

TEST(PathExpansion, BadInputIsOneClearError) {
  const Model m(2);
  const Activations<double> clean = m.run();
  EXPECT_THROW(virtual_head_term(m.p, clean, 0, 0, 2, 0), Error);  // layer out of range
  EXPECT_THROW(virtual_head_term(m.p, clean, 0, 5, 1, 0), Error);  // head out of range
  EXPECT_THROW(virtual_head_term(m.p, clean, 1, 0, 0, 0), Error);  // later -> earlier
  EXPECT_THROW(path_expansion(m.p, m.windows, B, Tn + 1), Error);  // windows of another length
  EXPECT_THROW(path_expansion(m.p, m.windows, B, m.c.n_ctx + 1), Error);
  std::vector<int32_t> bad = m.windows;
  bad[3] = 99;
  EXPECT_THROW(path_expansion(m.p, bad, B, Tn), Error);  // token outside the vocabulary
}

}  // namespace
}  // namespace cs::analysis
