// The public API (<circuitscope/circuitscope.h>) against the library it wraps: the same numbers as
// the internal forward pass, interventions and analyses on one tiny trained run.
#include <circuitscope/circuitscope.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "analysis/ablation_report.h"
#include "analysis/heads_report.h"
#include "analysis/model_circuits.h"
#include "analysis/run_inputs.h"
#include "../common/run_cli.h"
#include "../common/word_corpus.h"
#include "model/forward.h"
#include "model/read_hook.h"
#include "run/run_dir.h"

namespace {

namespace fs = std::filesystem;
namespace api = circuitscope;

// One run for the whole suite: 2 layers x 2 heads, bytes, n_ctx 64, five snapshots.
class Api : public ::testing::Test {
 protected:
  static fs::path root, run_path;
  static void SetUpTestSuite() {
    root = fs::temp_directory_path() / ("cs-api-" + std::to_string(::getpid()));
    fs::remove_all(root);
    fs::create_directories(root);
    std::ofstream((root / "corpus.txt").string()) << cs::test::word_corpus();
    run_path = root / "run";
    const cs::test::CliResult r = cs::test::run_cli(
        "train --corpus " + (root / "corpus.txt").string() + " --bytes --out " + run_path.string() +
        " --n-layers 2 --n-heads 2 --d-model 16 --d-head 8 --n-ctx 64 --batch 4 --steps 20"
        " --snapshots 5 --eval-count 16 --eval-fraction 0.25 --threads 1");
    ASSERT_EQ(r.code, 0) << r.output;
  }
  static void TearDownTestSuite() { fs::remove_all(root); }

  // A file the command line wrote into the run's analysis folder, without its timing.
  static nlohmann::json written(const std::string& name) {
    std::ifstream file((run_path / "analysis" / name).string());
    nlohmann::json j = nlohmann::json::parse(file);
    j.erase("seconds");
    return j;
  }

  // The internal forward pass on the same tokens, with `iv`.
  static cs::Activations<float> internal_forward(const cs::run::Snapshot& snap, const std::vector<int32_t>& ids,
                                                 const cs::Interventions<float>* iv = nullptr) {
    cs::Activations<float> acts(snap.params.cfg, 1, int64_t(ids.size()), true);
    acts.set_tokens(ids.data());
    cs::forward(snap.params, acts, iv);
    return acts;
  }
};
fs::path Api::root, Api::run_path;

TEST_F(Api, RunSnapshotAndModelDescribeTheRun) {
  const api::Run run(run_path.string());
  EXPECT_EQ(run.name(), "run");
  const api::ModelConfig cfg = run.config();
  EXPECT_EQ(cfg.n_layers, 2);
  EXPECT_EQ(cfg.n_heads, 2);
  EXPECT_EQ(cfg.d_head, 8);
  EXPECT_EQ(cfg.n_ctx, 64);
  EXPECT_TRUE(cfg.attn_only());
  EXPECT_EQ(run.snapshot_steps().back(), 20);
  const api::Snapshot snap = run.snapshot("last");
  EXPECT_EQ(snap.step(), 20);
  const api::Tensor wq = snap.weight("blocks.0.attn.W_Q");
  EXPECT_EQ(wq.shape, (std::vector<int64_t>{2, 16, 8}));
  const cs::run::Snapshot internal = cs::run::RunDir(run_path.string()).snapshot(20);
  EXPECT_EQ(wq.at({1, 3, 5}), internal.params["blocks.0.attn.W_Q"][(1 * 16 + 3) * 8 + 5]);

  EXPECT_EQ(run.folder(), run_path.string());
  EXPECT_EQ(run.snapshot(int64_t(7)).step(), 7);

  const api::Model model(run, snap);
  const std::vector<api::HookPoint> points = model.hook_points(11);
  EXPECT_EQ(points.front().name, "hook_embed");
  EXPECT_EQ(points.back().name, "hook_logits");
  EXPECT_FALSE(points.back().replaceable);
  const std::vector<int32_t> ids = model.to_tokens("abc abc ab");
  EXPECT_EQ(ids.size(), 11u);  // BOS and 10 bytes
  EXPECT_EQ(model.to_string({ids.begin() + 1, ids.end()}), "abc abc ab");
  EXPECT_EQ(model.to_str_tokens(ids)[1], "a");
}

TEST_F(Api, CacheHoldsWhatTheInternalForwardComputes) {
  const api::Model model = api::Run(run_path.string()).model("last");
  const std::vector<int32_t> ids = model.to_tokens("abc abc ab");
  const api::Cache cache = model.run_with_cache(ids);
  const cs::run::Snapshot snap = cs::run::RunDir(run_path.string()).snapshot(20);
  const cs::Activations<float> acts = internal_forward(snap, ids);
  ASSERT_FALSE(cache.names().empty());
  for (const std::string& name : cache.names()) {
    const api::Tensor got = cache.get(name);
    const cs::HookTensor<float> want = cs::read_hook(snap.params, acts, name);
    EXPECT_EQ(got.shape, want.shape) << name;
    EXPECT_EQ(got.data, want.data) << name;
  }
  EXPECT_EQ(cache.get("blocks.1.attn.hook_pattern").shape, (std::vector<int64_t>{1, 2, 11, 11}));
  EXPECT_EQ(cache.logits().data, acts.logits);
  EXPECT_THROW(cache.get("blocks.7.attn.hook_z"), api::Error);

  // A batch: each sequence as when it runs alone.
  const std::vector<int32_t> other = model.to_tokens("xyz xyz xy");
  const api::Cache two = model.run_with_cache(api::TokenBatch{ids, other});
  EXPECT_EQ(two.batch(), 2);
  EXPECT_EQ(two.seq(), 11);
  const api::Tensor both = two.get("blocks.1.attn.hook_z"), alone = model.run_with_cache(other).get("blocks.1.attn.hook_z");
  ASSERT_EQ(both.shape, (std::vector<int64_t>{2, 11, 2, 8}));
  for (size_t i = 0; i < alone.data.size(); ++i) EXPECT_NEAR(both.data[alone.data.size() + i], alone.data[i], 1e-5f) << i;
}

TEST_F(Api, HookZeroingAHeadIsTheZeroAblation) {
  const api::Model model = api::Run(run_path.string()).model("last");
  const std::vector<int32_t> ids = model.to_tokens("abc abc ab");
  int calls = 0;
  const api::Tensor hooked = model.run_with_hooks(
      ids, {{"blocks.0.attn.hook_z", [&](const api::TensorView& z, const api::HookPoint& p) {
               ++calls;
               EXPECT_EQ(p.layer, 0);
               for (int64_t t = 0; t < z.shape[1]; ++t)
                 for (int64_t k = 0; k < z.shape[3]; ++k) z.at({0, t, 1, k}) = 0;
             }}});
  EXPECT_EQ(calls, 1);
  const cs::run::Snapshot snap = cs::run::RunDir(run_path.string()).snapshot(20);
  cs::Interventions<float> iv;
  iv.ablate = {{0, 1, cs::HeadAblation::Kind::zero}};
  const cs::Activations<float> ablated = internal_forward(snap, ids, &iv);
  EXPECT_EQ(hooked.shape, (std::vector<int64_t>{1, 11, model.config().d_vocab}));
  ASSERT_EQ(hooked.data.size(), ablated.logits.size());
  for (size_t i = 0; i < ablated.logits.size(); ++i) EXPECT_NEAR(hooked.data[i], ablated.logits[i], 1e-5f) << i;
  EXPECT_NE(hooked.data, internal_forward(snap, ids).logits);

  // The same through a copy written back whole.
  const api::Tensor assigned = model.run_with_hooks(ids, {{"blocks.0.attn.hook_z", [](const api::TensorView& z, const api::HookPoint&) {
                                                             api::Tensor t = z.copy();
                                                             for (int64_t i = 0; i < t.numel(); ++i)
                                                               if (i / 8 % 2 == 1) t.data[size_t(i)] = 0;  // [1, T, 2, 8]: head 1
                                                             z.assign(t);
                                                           }}});
  EXPECT_EQ(assigned.data, hooked.data);

  // The same ablation as plain data through the public interventions.
  api::Interventions off;
  off.ablate_heads = {{0, 1, api::HeadAblation::Kind::zero}};
  EXPECT_EQ(model.run_with_cache(ids, off).logits().data, ablated.logits);
}

TEST_F(Api, ReadOnlyPointsAndBadInputsAreRefused) {
  const api::Model model = api::Run(run_path.string()).model("last");
  const std::vector<int32_t> ids = model.to_tokens("abc abc ab");
  const api::Tensor clean = model.run_with_cache(ids).logits();
  const api::Tensor hooked = model.run_with_hooks(ids, {{"hook_logits", [](const api::TensorView& v, const api::HookPoint& p) {
                                                            EXPECT_FALSE(p.replaceable);
                                                            v.at({0, 0, 0}) = 1e6f;
                                                          }}});
  EXPECT_EQ(hooked.data, clean.data);
  EXPECT_THROW(model.run_with_hooks(ids, {{"blocks.0.attn.hook_nothing", {}}}), api::Error);
  EXPECT_THROW(model.run_with_cache(std::vector<int32_t>(65, 1)), api::Error);
  EXPECT_THROW(model.run_with_cache(api::TokenBatch{{1, 2}, {1}}), api::Error);
  EXPECT_THROW(api::Run((root / "missing").string()).config(), api::Error);
  EXPECT_THROW(api::set_num_threads(0), api::Error);
  EXPECT_THROW(clean.at({0, 11, 0}), api::Error);  // [1, 11, d_vocab]
  EXPECT_THROW(clean.at({0, 0}), api::Error);
}

TEST_F(Api, HeadsAndAblationEqualTheInternalAnalyses) {
  const api::Model model = api::Run(run_path.string()).model("last");
  const cs::run::RunDir dir(run_path.string());
  const cs::run::Snapshot snap = dir.snapshot(20);
  const cs::analysis::HeadsReport want = cs::analysis::heads(snap, dir, cs::analysis::ModelCircuits(snap.params));
  const api::HeadsResult got = model.heads();
  ASSERT_EQ(got.heads.size(), 4u);
  for (int l = 0; l < 2; ++l)
    for (int h = 0; h < 2; ++h) {
      const cs::analysis::HeadScores s = want.scores(l, h);
      EXPECT_EQ(got.at(l, h).prefix_matching, s.prefix_matching);
      EXPECT_EQ(got.at(l, h).previous_token, s.previous_token);
      EXPECT_EQ(got.at(l, h).ov_copying_score, want.spectra[size_t(l * 2 + h)].ov_copying_score);
      EXPECT_EQ(got.at(l, h).kinds, want.kinds(l, h));
    }
  nlohmann::json j = nlohmann::json::parse(got.to_json_string());
  EXPECT_EQ(j["heads"].size(), 4u);
  EXPECT_EQ(j["snapshot_step"], 20);
  // The command line's heads.json: the same numbers but for the timing.
  const cs::test::CliResult cli = cs::test::run_cli("heads " + run_path.string() + " --threads 1");
  ASSERT_EQ(cli.code, 0) << cli.output;
  j.erase("seconds");
  EXPECT_EQ(written("heads.json"), j) << nlohmann::json::diff(written("heads.json"), j).dump();

  const api::AblationResult a = model.ablate({{1, 0}, {1, 1}});
  const cs::analysis::JointAblation ref = cs::analysis::ablate_heads(snap.params, dir, {{1, 0}, {1, 1}});
  EXPECT_EQ(a.clean_icl, ref.clean_icl);
  EXPECT_EQ(a.ablated_icl, ref.ablated_icl);
  EXPECT_EQ(a.ablated_loss, ref.ablated_loss);
  EXPECT_NE(a.delta_icl(), 0.0);
}

TEST_F(Api, IclAndCircuitsEqualTheInternalAnalyses) {
  const api::Run run(run_path.string());
  const api::IclResult got = run.icl();
  cs::analysis::IclOptions o;
  o.search_from_step = -1;
  const cs::analysis::IclResult want = cs::analysis::run_icl(cs::run::RunDir(run_path.string()), o);
  EXPECT_EQ(got.steps, want.steps);
  ASSERT_EQ(got.icl_score.size(), 5u);
  EXPECT_EQ(got.icl_score, want.icl_score);
  EXPECT_EQ(got.late_window.last, want.positions.late_window.last);
  EXPECT_EQ(nlohmann::json::parse(got.to_json_string()), nlohmann::json::parse(want.to_json().dump()));
  // What the command line writes with its defaults: the same curve, windows and phase change,
  // beside what `icl` adds (the training-loss curve, its inputs).
  const cs::test::CliResult cli = cs::test::run_cli("icl " + run_path.string());
  ASSERT_EQ(cli.code, 0) << cli.output;
  const nlohmann::json file = written("icl.json"), api_json = nlohmann::json::parse(got.to_json_string());
  for (const auto& [key, value] : api_json.items()) EXPECT_EQ(file.at(key), value) << key;

  const api::CircuitsResult c = run.model("last").circuits();
  const api::HeadsResult h = run.model("last").heads();
  ASSERT_EQ(c.heads.size(), 4u);
  EXPECT_EQ(c.heads[3].ov_copying_score, h.at(1, 1).ov_copying_score);
  EXPECT_EQ(c.heads[3].ov_eigenvalues.size(), 8u);
  ASSERT_EQ(c.composition.size(), 1u);
  EXPECT_EQ(c.composition[0].k.size(), 2u);
  // The command line's files, with its defaults: the same numbers but for the timings.
  const cs::test::CliResult circuits_cli = cs::test::run_cli("circuits " + run_path.string() + " --threads 1");
  ASSERT_EQ(circuits_cli.code, 0) << circuits_cli.output;
  nlohmann::json j = nlohmann::json::parse(c.to_json_string());
  for (const std::string part : {"circuits", "composition"}) {
    j[part].erase("seconds");
    EXPECT_EQ(written(part + ".json"), j[part]) << part << ": " << nlohmann::json::diff(written(part + ".json"), j[part]).dump();
  }
}

}  // namespace
