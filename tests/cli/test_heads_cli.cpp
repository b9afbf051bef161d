// `heads`, `ablate`, `paths` and `probes` end to end on a tiny run trained here with the binary:
// the files they write, read back, and one clear error for bad input.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "../common/word_corpus.h"
#include "../common/run_cli.h"
#include "io/atomic_file.h"
#include "io/npy.h"
#include "run/run_dir.h"
#include "io/safetensors.h"

namespace {

namespace fs = std::filesystem;

using cs::test::run_cli;

nlohmann::json read_json(const fs::path& p) { return nlohmann::json::parse(cs::io::read_file(p.string())); }

// One run for the whole suite: 2 layers x 2 heads, bytes, n_ctx 64, five snapshots.
class HeadsCli : public ::testing::Test {
 protected:
  static fs::path root, run;
  static void SetUpTestSuite() {
    root = fs::temp_directory_path() / ("cs-heads-cli-" + std::to_string(::getpid()));
    fs::remove_all(root);
    fs::create_directories(root);
    const std::string corpus = cs::test::word_corpus();
    std::ofstream((root / "corpus.txt").string()) << corpus;
    run = root / "run";
    const cs::test::CliResult r = run_cli(
        "train --corpus " + (root / "corpus.txt").string() + " --bytes --out " + run.string() +
        " --n-layers 2 --n-heads 2 --d-model 16 --d-head 8 --n-ctx 64 --batch 4 --steps 20"
        " --snapshots 5 --eval-count 16 --eval-fraction 0.25 --threads 1");
    ASSERT_EQ(r.code, 0) << r.output;
  }
  static void TearDownTestSuite() { fs::remove_all(root); }
};
fs::path HeadsCli::root, HeadsCli::run;

TEST_F(HeadsCli, HeadsWritesEveryHeadAndTheScoresOverTraining) {
  const cs::test::CliResult r = run_cli("heads " + run.string() + " --over-training --threads 1");
  ASSERT_EQ(r.code, 0) << r.output;
  const nlohmann::json j = read_json(run / "analysis" / "heads.json");
  EXPECT_EQ(j["snapshot_step"], 20);
  ASSERT_EQ(j["heads"].size(), 4u);
  for (const char* key : {"layer", "head", "ov_copying_score", "qk_copying_score", "prefix_matching",
                          "previous_token", "copying_r", "copying_scaled", "kinds"})
    EXPECT_TRUE(j["heads"][0].contains(key)) << key;
  EXPECT_EQ(j["thresholds"]["induction"], 0.3);
  const cs::io::NpyArray pm =
      cs::io::read_npy((run / "analysis" / "heads_over_training_prefix_matching.npy").string());
  const size_t n_snap = read_json(run / "eval" / "snapshots.json")["steps"].size();
  EXPECT_EQ(pm.shape, (std::vector<int64_t>{int64_t(n_snap), 2, 2}));
  for (double v : pm.to_double()) EXPECT_TRUE(v >= 0 && v <= 1) << v;
  EXPECT_TRUE(fs::exists(run / "analysis" / "heads_over_training.png"));
}

TEST_F(HeadsCli, AblateWritesDeltaIclForEverySnapshot) {
  cs::test::CliResult r = run_cli("ablate " + run.string() + " --threads 2");
  ASSERT_EQ(r.code, 0) << r.output;
  nlohmann::json j = read_json(run / "analysis" / "ablation_icl.json");
  EXPECT_EQ(j["kind"], "pattern-preserving");
  EXPECT_EQ(j["method"], "linear");
  const cs::io::NpyArray d = cs::io::read_npy((run / "analysis" / "ablation_icl.npy").string());
  ASSERT_EQ(d.shape.size(), 3u);
  EXPECT_EQ(d.shape[1], 2);
  EXPECT_EQ(d.shape[2], 2);
  EXPECT_EQ(d.to_double()[3], j["delta_icl"][0][1][1].get<double>());
  EXPECT_TRUE(fs::exists(run / "analysis" / "ablation_icl.svg"));

  r = run_cli("ablate " + run.string() + " --full --snapshots last --threads 1");
  ASSERT_EQ(r.code, 0) << r.output;
  j = read_json(run / "analysis" / "ablation_icl.json");
  EXPECT_EQ(j["method"], "interventions");
  EXPECT_EQ(j["steps"].size(), 1u);
  EXPECT_TRUE(j["last_snapshot"]["heads"][0].contains("pattern-preserving"));
  EXPECT_TRUE(j["last_snapshot"]["heads"][0].contains("full"));

  const int64_t second = read_json(run / "eval" / "snapshots.json")["steps"][1].get<int64_t>();
  r = run_cli("ablate " + run.string() + " --snapshots " + std::to_string(second) + " --threads 1");
  ASSERT_EQ(r.code, 0) << r.output;
  j = read_json(run / "analysis" / "ablation_icl.json");
  EXPECT_EQ(j["steps"], nlohmann::json::array({second}));

  r = run_cli("ablate " + run.string() + " --snapshots some");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("--snapshots must be all, last or a snapshot's step"), std::string::npos)
      << r.output;
  r = run_cli("ablate " + run.string() + " --snapshots 999");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("no snapshot at step 999"), std::string::npos) << r.output;
}

TEST_F(HeadsCli, PathsEndsAtTheFullModel) {
  const cs::test::CliResult r = run_cli("paths " + run.string() + " --sequences 4 --term-sequences 2 --threads 1");
  ASSERT_EQ(r.code, 0) << r.output;
  const nlohmann::json j = read_json(run / "analysis" / "paths.json");
  ASSERT_EQ(j["loss_by_order"].size(), 3u);
  EXPECT_NEAR(j["loss_by_order"][2].get<double>(), j["clean_loss"].get<double>(), 1e-5);
  EXPECT_EQ(j["virtual_heads"].size(), 4u);
  EXPECT_NE(j["patterns"].get<std::string>().find("frozen"), std::string::npos);
}

TEST_F(HeadsCli, ProbesSkipWhatDoesNotFitAndRefuseWhatWasAskedFor) {
  cs::test::CliResult r = run_cli("probes " + run.string() + " --threads 1");
  ASSERT_EQ(r.code, 0) << r.output;
  nlohmann::json j = read_json(run / "analysis" / "probes.json");
  EXPECT_EQ(j["skipped"].size(), 3u);  // every built-in prompt is longer than 64 bytes

  r = run_cli("probes " + run.string() + " --context 'abc def ' --answer 'abc def'");
  ASSERT_EQ(r.code, 0) << r.output;
  j = read_json(run / "analysis" / "probes.json");
  ASSERT_EQ(j["probes"].size(), 1u);
  EXPECT_EQ(j["probes"][0]["n_answer_tokens"], 7);
  EXPECT_EQ(j["probes"][0]["heads_by_importance"].size(), 4u);

  r = run_cli("probes " + run.string() + " --probe xor");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("more than n_ctx 64"), std::string::npos) << r.output;
}

TEST_F(HeadsCli, AnalyzeRunsEveryAnalysisOnTheSameSnapshot) {
  const int64_t second = read_json(run / "eval" / "snapshots.json")["steps"][1].get<int64_t>();
  fs::remove_all(run / "analysis");
  const cs::test::CliResult r =
      run_cli("analyze " + run.string() + " --snapshot " + std::to_string(second) + " --threads 1");
  ASSERT_EQ(r.code, 0) << r.output;
  const nlohmann::json j = read_json(run / "analysis" / "analyze.json");
  EXPECT_EQ(j["snapshot_step"], second);
  std::vector<std::string> names;
  for (const auto& a : j["analyses"]) names.push_back(a["analysis"]);
  EXPECT_EQ(names, (std::vector<std::string>{"heads", "circuits", "paths", "ablate", "probes"}));
  for (const char* f : {"heads.json", "circuits.json", "paths.json", "probes.json"})
    EXPECT_EQ(read_json(run / "analysis" / f)["snapshot_step"], second) << f;
  EXPECT_EQ(read_json(run / "analysis" / "ablation_icl.json")["steps"],
            nlohmann::json::array({second}));
  EXPECT_TRUE(fs::exists(run / "analysis" / "composition.json"));
}

TEST_F(HeadsCli, AnalyzeOfADirectPathModelRunsOnlyTheCircuits) {
  const fs::path zero = root / "zero-layers";
  cs::test::CliResult r = run_cli(
      "train --corpus " + (root / "corpus.txt").string() + " --bytes --out " + zero.string() +
      " --n-layers 0 --d-model 16 --n-ctx 64 --batch 4 --steps 5 --snapshots 2 --eval-count 16"
      " --eval-fraction 0.25 --threads 1");
  ASSERT_EQ(r.code, 0) << r.output;
  r = run_cli("analyze " + zero.string() + " --over-training --threads 1");
  ASSERT_EQ(r.code, 0) << r.output;
  const nlohmann::json j = read_json(zero / "analysis" / "analyze.json");
  ASSERT_EQ(j["analyses"].size(), 1u);
  EXPECT_EQ(j["analyses"][0]["analysis"], "circuits");
  EXPECT_TRUE(read_json(zero / "analysis" / "circuits.json")["heads"].empty());
}

TEST_F(HeadsCli, AnalyzeRefusesBadInputBeforeWritingAnything) {
  const fs::path out = root / "analyze-bad";
  fs::remove_all(out);
  fs::create_directories(out);
  for (const char* f : {"config.json", "tokenizer.model"})
    if (fs::exists(run / f)) fs::copy(run / f, out / f);
  fs::copy(run / "snapshots", out / "snapshots");
  cs::test::CliResult r = run_cli("analyze " + out.string() + " --snapshot 999");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("no snapshot at step 999"), std::string::npos) << r.output;
  r = run_cli("analyze " + out.string() + " --skip heads,everything");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("--skip expects"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out / "analysis"));
}

TEST_F(HeadsCli, BadSnapshotIsOneClearError) {
  const cs::test::CliResult r = run_cli("heads " + run.string() + " --snapshot 999");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("no snapshot at step 999"), std::string::npos) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
}

// A weight that went bad on disk: every command that reads the snapshot stops with one line that
// names the file and the tensor, before any analysis runs (an eigenvalue solver fed a NaN used to
// abort the process from inside a parallel loop).
TEST_F(HeadsCli, NonFiniteSnapshotIsOneClearErrorForEveryCommand) {
  const fs::path bad = root / "non-finite";
  fs::remove_all(bad);
  fs::copy(run, bad, fs::copy_options::recursive);
  const std::string last = cs::run::RunDir(bad.string()).snapshot_path(cs::run::RunDir(bad.string()).snapshot_steps().back());
  {
    const cs::io::SafeTensors st = cs::io::SafeTensors::open(last);
    cs::io::SafeTensorsWriter w;
    for (const auto& [k, v] : st.metadata()) w.set_metadata(k, v);
    std::vector<std::vector<float>> keep;
    for (const std::string& name : st.names()) {
      keep.push_back(st.get_f32(name));
      if (name == "blocks.1.attn.W_O") keep.back()[3] = NAN;
      w.add_f32(name, st.get(name).shape, keep.back().data());
    }
    w.write(last + ".tmp");
  }
  fs::rename(last + ".tmp", last);
  for (const std::string cmd : {"heads", "circuits", "paths", "ablate --snapshots last", "probes", "analyze"}) {
    const cs::test::CliResult r = run_cli(cmd + " " + bad.string() + " --threads 2");
    EXPECT_EQ(r.code, 1) << cmd << ": " << r.output;
    EXPECT_NE(r.output.find(last + ": tensor 'blocks.1.attn.W_O' holds a non-finite value (nan at flat index 3)"),
              std::string::npos) << cmd << ": " << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << cmd << ": " << r.output;
  }
}

}  // namespace
