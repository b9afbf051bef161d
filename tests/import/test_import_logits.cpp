// Imported GPT-2 and GPT-NeoX checkpoints give the logits that an independent PyTorch forward pass,
// written on the Hugging Face tensors, computes (python/make_hf_checkpoints.py); their tokenizer
// comes along; a series of step folders becomes one run with a snapshot per step.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "../io/temp_dir.h"
#include "data/tokenizer.h"
#include "hf_fixtures.h"
#include "import/import_run.h"
#include "io/safetensors.h"
#include "model/activations.h"
#include "model/forward.h"
#include "run/run_dir.h"

namespace {

using cs::test::hf_fixture;

cs::run::RunConfig import_quietly(const std::vector<std::string>& folders, const std::string& out) {
  cs::hf::ImportOptions o;
  o.folders = folders;
  o.out = out;
  return cs::hf::import_run(o, [](const std::string&) {});
}

struct Case {
  const char* name;
  const char* architecture;
};

class ImportLogits : public ::testing::TestWithParam<Case> {};

TEST_P(ImportLogits, MatchTheHuggingFaceForwardPass) {
  const Case c = GetParam();
  cs::test::TempDir tmp;
  const auto rc = import_quietly({hf_fixture(c.name)}, tmp / "run");
  EXPECT_EQ(rc.original_architecture, c.architecture);
  const cs::run::RunDir run(tmp / "run");
  EXPECT_EQ(run.config().original_architecture, c.architecture);
  const auto snap = run.snapshot("last");

  const auto ref = cs::io::SafeTensors::open(hf_fixture(std::string("reference/") + c.name + ".safetensors"));
  const std::vector<int32_t> tokens = ref.get_i32("tokens");
  const std::vector<float> expected = ref.get_f32("logits");
  const int64_t T = int64_t(tokens.size()), V = snap.params.cfg.d_vocab;
  ASSERT_EQ(int64_t(expected.size()), T * V);
  cs::Activations<float> acts(snap.params.cfg, 1, T, /*keep_logits=*/true);
  acts.set_tokens(tokens.data());
  cs::forward(snap.params, acts);
  double worst = 0, largest = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    worst = std::max(worst, double(std::abs(acts.logits[i] - expected[i])));
    largest = std::max(largest, double(std::abs(expected[i])));
  }
  EXPECT_LT(worst, 1e-4) << c.name;
  EXPECT_GT(largest, 0.5) << "logits this small would not tell a wrong mapping from a right one";
}

INSTANTIATE_TEST_SUITE_P(
    HfCheckpoints, ImportLogits,
    ::testing::Values(Case{"gpt2", "GPT2LMHeadModel"}, Case{"gpt2_prefixed_f16", "GPT2LMHeadModel"},
                      Case{"neox_bf16", "GPTNeoXForCausalLM"}, Case{"neox_sharded", "GPTNeoXForCausalLM"}),
    [](const auto& info) { return std::string(info.param.name); });

// vocab.json + merges.txt (gpt2) and tokenizer.json (neox) both come out as a tokenizer the run
// loads, giving the reference tokenizer's ids.
TEST(Import, CarriesTheTokenizer) {
  const nlohmann::json vectors = nlohmann::json::parse(std::ifstream(std::string(CS_TEST_DATA) + "/bpe/vectors.json"));
  for (const char* name : {"gpt2", "neox_bf16"}) {
    cs::test::TempDir tmp;
    import_quietly({hf_fixture(name)}, tmp / "run");
    const auto tok = cs::run::RunDir(tmp / "run").tokenizer();
    EXPECT_EQ(tok->kind(), "byte-level-bpe");
    EXPECT_EQ(tok->d_vocab(), 609);
    for (const auto& v : vectors) {
      const std::string text = v.at("text");
      EXPECT_EQ(tok->encode(text), v.at("ids").get<std::vector<int32_t>>()) << name << ": " << text;
    }
    EXPECT_EQ(tok->decode(tok->encode("the importer's tokenizer")), "the importer's tokenizer");
  }
}

TEST(Import, StepFoldersBecomeSnapshotsInStepOrder) {
  cs::test::TempDir tmp;
  const std::string s = hf_fixture("series/");
  const auto rc = import_quietly({s + "step1024", s + "step0", s + "step512/"}, tmp / "run");
  const cs::run::RunDir run(tmp / "run");
  ASSERT_EQ(run.snapshot_steps(), (std::vector<int64_t>{0, 512, 1024}));
  for (int64_t step : {0, 512, 1024}) {
    const auto snap = run.snapshot(step);
    EXPECT_EQ(snap.info.tokens, step * 2097152);
    EXPECT_EQ(snap.info.run_id, rc.run_id);
  }
  // Each folder's own weights, not one folder's three times.
  EXPECT_NE(run.snapshot(0).params.data, run.snapshot(512).params.data);
}

TEST(Import, StepsAndTokensPerStepFromFlags) {
  cs::test::TempDir tmp;
  const std::string s = hf_fixture("series/");
  const auto r = cs::test::run_import(s + "step0 " + s + "step512 --steps 30,20 --tokens-per-step 1000 --out " + tmp / "run");
  ASSERT_EQ(r.code, 0) << r.output;
  const cs::run::RunDir run(tmp / "run");
  ASSERT_EQ(run.snapshot_steps(), (std::vector<int64_t>{20, 30}));
  EXPECT_EQ(run.snapshot(20).info.tokens, 20000);
  // --steps 30,20 gave step512's folder step 20.
  cs::test::TempDir other;
  ASSERT_EQ(cs::test::run_import(s + "step512 --out " + other / "run").code, 0);
  EXPECT_EQ(run.snapshot(20).params.data, cs::run::RunDir(other / "run").snapshot(512).params.data);
}

}  // namespace
