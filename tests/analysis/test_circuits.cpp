// Circuits, eigenvalues and skip-trigrams of small random models against dense d_vocab x d_vocab
// products built here from the raw weight buffers.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <numeric>

#include "../io/temp_dir.h"
#include "analysis/circuits.h"
#include "analysis/eigen.h"
#include "analysis/skip_trigrams.h"
#include "circuit_fixtures.h"
#include "core/error.h"
#include "data/tokenizer.h"
#include "io/atomic_file.h"
#include "io/npy.h"
#include "model/forward.h"
#include "run/run_config.h"
#include "run/run_dir.h"
#include "run/snapshot.h"

namespace cs::analysis {
namespace {

using test::raw;
using test::raw_head;

struct Dense {
  Mat OV, QK, TP, PT, PP;  // token QK and its three positional parts
};

Dense dense_circuits(const Params<double>& p, int l, int h) {
  const Mat E = raw(p, "embed.W_E"), U = raw(p, "unembed.W_U");
  const Mat Q = raw_head(p, l, "W_Q", h), K = raw_head(p, l, "W_K", h);
  const Mat V = raw_head(p, l, "W_V", h), O = raw_head(p, l, "W_O", h);
  Dense d;
  d.OV = E * V * O * U;
  d.QK = E * Q * K.transpose() * E.transpose();
  if (p.cfg.has_pos_embed()) {
    const Mat P = raw(p, "pos_embed.W_pos");
    d.TP = E * Q * K.transpose() * P.transpose();
    d.PT = P * Q * K.transpose() * E.transpose();
    d.PP = P * Q * K.transpose() * P.transpose();
  }
  return d;
}

double max_diff(const Mat& a, const Mat& b) { return (a - b).cwiseAbs().maxCoeff(); }

TEST(Circuits, FactoredCircuitsEqualDenseProducts) {
  const Params<double> p = test::random_model(test::circuit_config(2), 1);
  for (int l = 0; l < 2; ++l)
    for (int h = 0; h < 3; ++h) {
      const Dense d = dense_circuits(p, l, h);
      const FactoredMatrix ov = OV_circuit(p, l, h);
      EXPECT_EQ(ov.inner(), 4);
      EXPECT_LT(max_diff(ov.dense(), d.OV), 1e-12);
      EXPECT_LT(max_diff(QK_circuit(p, l, h).dense(), d.QK), 1e-12);
      EXPECT_LT(max_diff(QK_circuit(p, l, h, QKPart::token_position).dense(), d.TP), 1e-12);
      EXPECT_LT(max_diff(QK_circuit(p, l, h, QKPart::position_token).dense(), d.PT), 1e-12);
      EXPECT_LT(max_diff(QK_circuit(p, l, h, QKPart::position_position).dense(), d.PP), 1e-12);
      EXPECT_NEAR(ov.frobenius_norm(), d.OV.norm(), 1e-10);
    }
  const Mat bigram = raw(p, "embed.W_E") * raw(p, "unembed.W_U");
  EXPECT_LT(max_diff(direct_path(p).dense(), bigram), 1e-12);
}

TEST(Circuits, WOVAndWQKAreTheHeadsProducts) {
  const Params<double> p = test::random_model(test::circuit_config(2), 2);
  const HeadWeights w = head_weights(p, 1, 2);
  EXPECT_LT(max_diff(W_OV(w).dense(), raw_head(p, 1, "W_V", 2) * raw_head(p, 1, "W_O", 2)), 1e-14);
  EXPECT_LT(
      max_diff(W_QK(w).dense(), raw_head(p, 1, "W_Q", 2) * raw_head(p, 1, "W_K", 2).transpose()),
      1e-14);
}

TEST(Circuits, TopKTablesMatchTheDenseRowsAndColumns) {
  const Params<double> p = test::random_model(test::circuit_config(1), 3);
  const Dense d = dense_circuits(p, 0, 1);
  const auto row = top_k_tokens(OV_circuit(p, 0, 1), Axis::row, 7, 5, nullptr);
  ASSERT_EQ(row.size(), 5u);
  std::vector<int64_t> order(30);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](int64_t a, int64_t b) { return d.OV(7, a) > d.OV(7, b); });
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(row[i].id, order[i]);
    EXPECT_EQ(row[i].token, "#" + std::to_string(order[i]));
    EXPECT_NEAR(row[i].value, d.OV(7, order[i]), 1e-12);
  }
  const auto col = top_k_tokens(QK_circuit(p, 0, 1), Axis::column, 4, 3, nullptr, false);
  std::sort(order.begin(), order.end(),
            [&](int64_t a, int64_t b) { return d.QK(a, 4) < d.QK(b, 4); });
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(col[i].id, order[i]);
}

TEST(Circuits, OutOfRangeHeadsAndMissingPositionsAreErrors) {
  const Params<double> p = test::random_model(test::circuit_config(2), 4);
  try {
    head_weights(p, 0, 9);
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "head 9 out of range [0, 3)");
  }
  try {
    OV_circuit(p, 2, 0);
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "layer 2 out of range [0, 2)");
  }
  const Params<double> rot = test::random_model(test::circuit_config(1, Positions::rotary), 4);
  EXPECT_THROW(QK_circuit(rot, 0, 0, QKPart::position_position), Error);
  EXPECT_EQ(qk_parts(rot.cfg).size(), 1u);
  EXPECT_NE(qk_label(rot.cfg).find("offset 0"), std::string::npos);
  EXPECT_NE(circuit_caveat(rot.cfg).find("offset 0"), std::string::npos);
}

// I - 11^T / n: removes the mean over the n entries of a column.
Mat centering(int n) { return Mat::Identity(n, n) - Mat::Constant(n, n, 1.0 / n); }

TEST(Circuits, LayerNormFoldsAndCentresAsTransformerLensDoes) {
  Config c = test::circuit_config(1, Positions::standard);
  c.normalization_type = Normalization::LN;
  Params<double> p = test::random_model(c, 5);
  const Params<double> f = fold_layer_norm(p);
  const Mat P = centering(c.d_model);
  const double* w = p["blocks.0.ln1.w"];
  const Mat scale = Eigen::Map<const Eigen::VectorXd>(w, c.d_model).asDiagonal();
  EXPECT_LT((raw_head(f, 0, "W_Q", 1) - P * scale * raw_head(p, 0, "W_Q", 1)).norm(), 1e-12);
  EXPECT_LT((raw_head(f, 0, "W_V", 2) - P * scale * raw_head(p, 0, "W_V", 2)).norm(), 1e-12);
  const Mat final_scale = Eigen::Map<const Eigen::VectorXd>(p["ln_final.w"], c.d_model).asDiagonal();
  EXPECT_LT((raw(f, "unembed.W_U") - P * final_scale * raw(p, "unembed.W_U")).norm(), 1e-12);
  EXPECT_LT((raw(f, "embed.W_E") - raw(p, "embed.W_E") * P).norm(), 1e-12);
  EXPECT_LT((raw(f, "pos_embed.W_pos") - raw(p, "pos_embed.W_pos") * P).norm(), 1e-12);
  EXPECT_LT((raw_head(f, 0, "W_O", 0) - raw_head(p, 0, "W_O", 0) * P).norm(), 1e-12);
  // Shortformer positions reach queries and keys unnormalized: W_pos must stay as it is.
  c.positional_embedding_type = Positions::shortformer;
  const Params<double> s = test::random_model(c, 5);
  EXPECT_EQ(raw(fold_layer_norm(s), "pos_embed.W_pos"), raw(s, "pos_embed.W_pos"));
}

// Folding and centring change no logit: with the LayerNorm biases at zero, the folded weights under
// unit LayerNorm scales compute exactly what the original model computes.
TEST(Circuits, FoldedWeightsComputeTheSameFunction) {
  for (Normalization n : {Normalization::LN, Normalization::LNPre}) {
    Config c = test::circuit_config(2, Positions::standard);
    c.normalization_type = n;
    Params<double> p = test::random_model(c, 8);
    const bool learned = n == Normalization::LN;
    if (learned)
      for (const std::string b : {"blocks.0.ln1.b", "blocks.1.ln1.b", "ln_final.b"})
        std::fill(p[b], p[b] + c.d_model, 0.0);
    Params<double> f = fold_layer_norm(p);
    if (learned)
      for (const std::string w : {"blocks.0.ln1.w", "blocks.1.ln1.w", "ln_final.w"})
        std::fill(f[w], f[w] + c.d_model, 1.0);
    const int B = 2, Tn = c.n_ctx;
    std::vector<int32_t> windows(size_t(B) * (Tn + 1));
    for (size_t i = 0; i < windows.size(); ++i) windows[i] = int32_t((7 * i + 3) % size_t(c.d_vocab));
    auto logits = [&](const Params<double>& q) {
      Activations<double> a(c, B, Tn, /*keep_logits=*/true);
      a.set_windows(windows.data());
      forward(q, a);
      return a.logits;
    };
    const std::vector<double> before = logits(p), after = logits(f);
    double worst = 0;
    for (size_t i = 0; i < before.size(); ++i) worst = std::max(worst, std::abs(before[i] - after[i]));
    EXPECT_LT(worst, 1e-9) << to_string(n);
    EXPECT_GT(raw_head(p, 1, "W_K", 0).colwise().mean().norm(), 0.1);  // there was something to centre
  }
}

TEST(Eigen, SmallEigenvaluesAreTheDenseCircuitsNonZeroOnes) {
  const Params<double> p = test::random_model(test::circuit_config(2), 6);
  const VocabGrams g = vocab_grams(p, /*with_unembed_gram=*/true);
  const auto spectra = all_head_spectra(p, g);
  ASSERT_EQ(spectra.size(), 6u);
  for (const HeadSpectrum& s : spectra) {
    const Dense d = dense_circuits(p, s.layer, s.head);
    ASSERT_EQ(s.ov_eigenvalues.size(), 4u);
    EXPECT_TRUE(test::same_spectrum(s.ov_eigenvalues, test::dense_eigenvalues(d.OV, 4), 1e-8))
        << "OV of head " << s.layer << "." << s.head;
    EXPECT_TRUE(test::same_spectrum(s.qk_eigenvalues, test::dense_eigenvalues(d.QK, 4), 1e-8))
        << "QK of head " << s.layer << "." << s.head;
    // The rest of the dense spectrum is zero: d_head eigenvalues say everything.
    EXPECT_LT(std::abs(test::dense_eigenvalues(d.OV, 5)[4]), 1e-8);
    // Copying score from the dense trace and eigenvalues.
    double abs_sum = 0;
    for (const auto& l : test::dense_eigenvalues(d.OV, 4)) abs_sum += std::abs(l);
    EXPECT_NEAR(s.ov_copying_score, d.OV.trace() / abs_sum, 1e-9);
    EXPECT_NEAR(s.ov_norm, d.OV.norm(), 1e-9 * d.OV.norm());
    EXPECT_TRUE(std::isnan(
        head_spectrum(p.cfg, head_weights(p, s.layer, s.head), vocab_grams(p), s.layer, s.head)
            .ov_norm));
    ASSERT_EQ(s.qk_part_norms.size(), 4u);
    EXPECT_NEAR(s.qk_part_norms[0], d.QK.norm(), 1e-9 * d.QK.norm());
    EXPECT_NEAR(s.qk_part_norms[1], d.TP.norm(), 1e-9 * d.TP.norm());
    EXPECT_NEAR(s.qk_part_norms[2], d.PT.norm(), 1e-9 * d.PT.norm());
    EXPECT_NEAR(s.qk_part_norms[3], d.PP.norm(), 1e-9 * d.PP.norm());
  }
}

// A head whose W_OV is W_V times its pseudo-inverse, with W_U the pseudo-inverse of W_E: attending
// to a token raises that token (OV is the projection onto the embedding's span), so every
// eigenvalue is +1; negated, every one is -1.
TEST(Eigen, PureCopyingHeadScoresPlusOneAndAntiCopyingMinusOne) {
  Config c = test::circuit_config(1);
  c.n_heads = 2;
  Params<double> p = test::random_model(c, 7);
  const Mat E = raw(p, "embed.W_E");
  const Mat U = E.completeOrthogonalDecomposition().pseudoInverse();  // [D, V]
  for (int64_t d = 0; d < c.d_model; ++d)
    for (int64_t v = 0; v < c.d_vocab; ++v) p["unembed.W_U"][d * c.d_vocab + v] = U(d, v);
  for (int h = 0; h < 2; ++h) {
    const Mat V = raw_head(p, 0, "W_V", h);
    const Mat O = (h == 0 ? 1.0 : -1.0) * 3.0 * V.completeOrthogonalDecomposition().pseudoInverse();
    for (int64_t k = 0; k < c.d_head; ++k)
      for (int64_t d = 0; d < c.d_model; ++d)
        p["blocks.0.attn.W_O"][(h * c.d_head + k) * c.d_model + d] = O(k, d);
  }
  const auto spectra = all_head_spectra(p, vocab_grams(p));
  EXPECT_NEAR(spectra[0].ov_copying_score, 1.0, 1e-9);
  EXPECT_NEAR(spectra[1].ov_copying_score, -1.0, 1e-9);
  for (const auto& l : spectra[0].ov_eigenvalues) EXPECT_NEAR(std::abs(l - 3.0), 0, 1e-8);
  // The dense OV really does copy: every token's own logit is its row's largest for most tokens.
  const Mat OV = OV_circuit(p, 0, 0).dense();
  int own_top = 0;
  for (int64_t a = 0; a < c.d_vocab; ++a) {
    Eigen::Index best;
    OV.row(a).maxCoeff(&best);
    own_top += best == a;
  }
  EXPECT_GT(own_top, 0);
}

TEST(SkipTrigrams, TopListsAndMomentsEqualTheDenseCircuits) {
  const Params<double> p = test::random_model(test::circuit_config(2), 8);
  const std::vector<int64_t> sources = {3, 17, 0, 29};
  SkipTrigramOptions o;
  o.top_k = 4;
  o.per_head = 20;
  o.chunk = 7;  // several blocks, the last one partial
  const SkipTrigramResult r = skip_trigrams(p, sources, o);
  ASSERT_EQ(r.heads.size(), 6u);
  const Mat bigram = raw(p, "embed.W_E") * raw(p, "unembed.W_U");
  for (size_t s = 0; s < sources.size(); ++s) {
    const auto want = top_k(bigram.row(sources[s]).transpose(), 4);
    ASSERT_EQ(r.bigrams[s].size(), 4u);
    for (size_t i = 0; i < 4; ++i) {
      EXPECT_EQ(r.bigrams[s][i].index, want[i].index);
      EXPECT_NEAR(r.bigrams[s][i].value, want[i].value, 1e-12);
    }
  }
  for (const HeadSkipTrigrams& hs : r.heads) {
    const Dense d = dense_circuits(p, hs.layer, hs.head);
    ASSERT_EQ(hs.sources.size(), sources.size());
    for (const SourceCircuit& sc : hs.sources) {
      const Vec col = d.QK.col(sc.source), row = d.OV.row(sc.source).transpose();
      const auto want_d = top_k(col, 4), want_o = top_k(row, 4);
      for (size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(sc.destinations[i].index, want_d[i].index);
        EXPECT_NEAR(sc.destinations[i].value, want_d[i].value, 1e-12);
        EXPECT_EQ(sc.outputs[i].index, want_o[i].index);
        EXPECT_NEAR(sc.outputs[i].value, want_o[i].value, 1e-12);
      }
      const double n = double(col.size());
      EXPECT_NEAR(sc.qk.mean, col.mean(), 1e-10);
      EXPECT_NEAR(sc.qk.std, std::sqrt((col.array() - col.mean()).square().sum() / n), 1e-10);
      EXPECT_NEAR(sc.ov.mean, row.mean(), 1e-10);
      EXPECT_NEAR(sc.ov.std, std::sqrt((row.array() - row.mean()).square().sum() / n), 1e-10);
    }
    // Ranked triples: strongest first, each strength recomputable from the dense circuits.
    ASSERT_FALSE(hs.ranked.empty());
    for (size_t i = 0; i < hs.ranked.size(); ++i) {
      const SkipTrigram& t = hs.ranked[i];
      if (i > 0) {
        EXPECT_GE(hs.ranked[i - 1].strength, t.strength);
      }
      const Vec col = d.QK.col(t.source), row = d.OV.row(t.source).transpose();
      const double n = double(col.size());
      const double qz = (d.QK(t.destination, t.source) - col.mean()) /
                        std::sqrt((col.array() - col.mean()).square().sum() / n);
      const double oz = (d.OV(t.source, t.output) - row.mean()) /
                        std::sqrt((row.array() - row.mean()).square().sum() / n);
      EXPECT_NEAR(t.strength, qz * oz, 1e-9);
      EXPECT_GT(qz, 0);
      EXPECT_GT(oz, 0);
    }
  }
  EXPECT_THROW(skip_trigrams(p, {30}, o), Error);
  EXPECT_THROW(skip_trigrams(p, {3, 3}, o), Error);
}

TEST(SkipTrigrams, FloatWeightsGiveTheDoubleAnswer) {
  const Params<double> pd = test::random_model(test::circuit_config(2), 9);
  Params<float> pf(pd.cfg);
  for (size_t i = 0; i < pd.data.size(); ++i) pf.data[i] = float(pd.data[i]);
  Params<double> pr(pd.cfg);  // the double model rounded to float, so both see the same weights
  for (size_t i = 0; i < pd.data.size(); ++i) pr.data[i] = double(pf.data[i]);
  SkipTrigramOptions o;
  o.top_k = 3;
  o.chunk = 8;
  const auto a = skip_trigrams(pf, {1, 2, 5}, o);
  const auto b = skip_trigrams(pr, {1, 2, 5}, o);
  for (size_t h = 0; h < a.heads.size(); ++h)
    for (size_t s = 0; s < 3; ++s) {
      EXPECT_EQ(a.heads[h].sources[s].outputs[0].index, b.heads[h].sources[s].outputs[0].index);
      EXPECT_NEAR(a.heads[h].sources[s].outputs[0].value, b.heads[h].sources[s].outputs[0].value,
                  1e-4);
      EXPECT_NEAR(a.heads[h].sources[s].qk.std, b.heads[h].sources[s].qk.std, 1e-4);
    }
}

TEST(SkipTrigrams, MostFrequentTokensLeaveOutBosAndUnseen) {
  const std::vector<int64_t> counts = {50, 0, 7, 9, 9, 100, 1};
  EXPECT_EQ(most_frequent_tokens(counts, 3, 5), (std::vector<int64_t>{0, 3, 4}));
  EXPECT_EQ(most_frequent_tokens(counts, 10, 5), (std::vector<int64_t>{0, 3, 4, 2, 6}));
}

}  // namespace
}  // namespace cs::analysis

// The `circuits` subcommand end to end on run folders made here (byte tokenizer, one snapshot).
namespace cs::analysis {
namespace {

namespace fs = std::filesystem;

struct Ran {
  int status = -1;
  std::string output;
};

Ran run_cli(const std::string& args) {
  Ran r;
  FILE* p = ::popen((std::string(CS_BINARY) + " circuits " + args + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::string make_run(const std::string& dir, int n_layers) {
  Config c = test::circuit_config(n_layers);
  c.d_vocab = 257;
  run::RunConfig rc;
  rc.run_id = "circuits-test-" + std::to_string(n_layers);
  rc.model = c;
  fs::create_directories(dir + "/snapshots");
  const run::RunWriter out{run::RunDir(dir)};
  out.write_config(rc);
  data::make_byte_tokenizer()->save(dir);
  Params<float> p(c);
  p.init(3);
  out.write_snapshot(p, {rc.run_id, 100, 1000});
  return dir;
}

nlohmann::json read_json(const std::string& path) {
  return nlohmann::json::parse(io::read_file(path));
}

TEST(CircuitsCli, WritesJsonArraysAndPictures) {
  test::TempDir tmp;
  const std::string run = make_run(tmp / "two", 2);
  const Ran r = run_cli(run + " --sources a,b,' ',#10 --top-k 4 --head 1.2");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("head 1.2: OV copying score"), std::string::npos) << r.output;
  const nlohmann::json c = read_json(run + "/analysis/circuits.json");
  EXPECT_EQ(c["snapshot_step"], 100);
  ASSERT_EQ(c["heads"].size(), 6u);
  EXPECT_EQ(c["heads"][4]["layer"], 1);
  EXPECT_EQ(c["heads"][4]["head"], 1);
  EXPECT_EQ(c["heads"][4]["ov_eigenvalues"].size(), 4u);
  const double score = c["heads"][4]["ov_copying_score"];
  EXPECT_GE(score, -1);
  EXPECT_LE(score, 1);
  EXPECT_EQ(c["skip_trigram_sources"]["tokens"][0]["id"], int('a'));
  EXPECT_EQ(c["skip_trigram_sources"]["tokens"][2]["id"], int(' '));
  EXPECT_EQ(c["skip_trigram_sources"]["tokens"][3]["id"], 10);
  EXPECT_EQ(c["qk_parts"].size(), 4u);
  const nlohmann::json k = read_json(run + "/analysis/composition.json");
  ASSERT_EQ(k["pairs"].size(), 1u);
  EXPECT_EQ(k["pairs"][0]["layers"], (nlohmann::json{0, 1}));
  EXPECT_EQ(k["pairs"][0]["q"].size(), 3u);
  EXPECT_EQ(k["pairs"][0]["k"][0].size(), 3u);
  EXPECT_GT(k["baseline"].get<double>(), 0);
  EXPECT_EQ(k["induction_qk"]["heads"].size(), 3u);
  const io::NpyArray ev = io::read_npy(run + "/analysis/ov_eigenvalues.npy");
  EXPECT_EQ(ev.shape, (std::vector<int64_t>{2, 3, 4, 2}));
  EXPECT_EQ(io::read_npy(run + "/analysis/skip_outputs.npy").shape,
            (std::vector<int64_t>{2, 3, 4, 4}));
  for (const char* f : {"ov_eigenvalues.svg", "qk_eigenvalues.png", "copying_scores.svg",
                        "induction_scatter.png", "composition_k.npy", "induction_scatter.npy"})
    EXPECT_TRUE(fs::exists(run + "/analysis/" + f)) << f;
}

TEST(CircuitsCli, BadRequestsFailWithOneClearLine) {
  test::TempDir tmp;
  const std::string one = make_run(tmp / "one", 1);
  Ran r = run_cli(one + " --only composition");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("composition needs 2+ layers"), std::string::npos) << r.output;
  r = run_cli(one + " --head 0.9 --sources a");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("head 9 out of range [0, 3)"), std::string::npos) << r.output;
  r = run_cli(one + " --head 4.0 --sources a");
  EXPECT_NE(r.output.find("layer 4 out of range [0, 1)"), std::string::npos) << r.output;
  r = run_cli(one + " --sources abc");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("token 'abc' is not in the vocabulary"), std::string::npos) << r.output;
  r = run_cli(one + " --snapshot 7 --sources a");
  EXPECT_NE(r.status, 0);
  // A 1-layer run analysed as a whole: composition reported as skipped, not an error.
  r = run_cli(one + " --sources a,b");
  ASSERT_EQ(r.status, 0) << r.output;
  const nlohmann::json k = read_json(one + "/analysis/composition.json");
  EXPECT_TRUE(k["pairs"].empty());
  EXPECT_EQ(k["skipped"], "composition needs 2+ layers; this model has 1");
}

}  // namespace
}  // namespace cs::analysis
