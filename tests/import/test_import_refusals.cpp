// Inputs `import` refuses: each with one line naming the problem, a non-zero exit, and no run
// folder (nor its staging folder) left behind.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "../io/temp_dir.h"
#include "hf_fixtures.h"

namespace {

namespace fs = std::filesystem;
using cs::test::hf_fixture;

// A copy of a fixture folder to spoil.
std::string copy_fixture(const cs::test::TempDir& tmp, const std::string& name, const std::string& as) {
  const std::string dest = tmp / as;
  fs::create_directories(dest);
  fs::copy(hf_fixture(name), dest, fs::copy_options::recursive);
  return dest;
}

void edit_json(const std::string& path, const std::function<void(nlohmann::json&)>& edit) {
  nlohmann::json j = nlohmann::json::parse(std::ifstream(path));
  edit(j);
  std::ofstream(path) << j.dump(1);
}

// Imports FOLDERS (and flags) into tmp/run, expecting a refusal whose one line holds `says`.
void expect_refusal(const cs::test::TempDir& tmp, const std::string& folders, const std::string& says) {
  const auto r = cs::test::run_import(folders + " --out " + tmp / "run");
  EXPECT_NE(r.code, 0) << r.output;
  EXPECT_NE(r.output.find(says), std::string::npos) << "expected '" << says << "' in: " << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  EXPECT_FALSE(fs::exists(tmp / "run")) << "a refused import left a run folder";
  EXPECT_FALSE(fs::exists(tmp / "run.partial")) << "a refused import left its staging folder";
}

TEST(ImportRefuses, AnUnknownArchitecture) {
  cs::test::TempDir tmp;
  const std::string m = copy_fixture(tmp, "gpt2", "m");
  edit_json(m + "/config.json", [](auto& j) { j["architectures"] = {"LlamaForCausalLM"}; });
  expect_refusal(tmp, m, "architecture 'LlamaForCausalLM' cannot be imported");
}

TEST(ImportRefuses, AMissingTensor) {
  cs::test::TempDir tmp;
  const std::string m = copy_fixture(tmp, "neox_sharded", "m");
  edit_json(m + "/model.safetensors.index.json",
            [](auto& j) { j["weight_map"].erase("gpt_neox.layers.1.mlp.dense_4h_to_h.bias"); });
  expect_refusal(tmp, m, "no tensor 'gpt_neox.layers.1.mlp.dense_4h_to_h.bias'");
}

TEST(ImportRefuses, AShapeTheConfigDoesNotGive) {
  cs::test::TempDir tmp;
  const std::string m = copy_fixture(tmp, "gpt2", "m");
  edit_json(m + "/config.json", [](auto& j) { j["n_positions"] = 16; });
  expect_refusal(tmp, m, "tensor 'wpe.weight' has shape [32, 16]");
}

TEST(ImportRefuses, ATruncatedSafetensorsFile) {
  cs::test::TempDir tmp;
  const std::string m = copy_fixture(tmp, "neox_bf16", "m");
  fs::resize_file(m + "/model.safetensors", fs::file_size(m + "/model.safetensors") / 2);
  expect_refusal(tmp, m, "model.safetensors");
}

TEST(ImportRefuses, ANonFiniteWeight) {
  cs::test::TempDir tmp;
  const std::string m = copy_fixture(tmp, "gpt2", "m"), file = m + "/model.safetensors";
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  uint64_t n = 0;
  f.read(reinterpret_cast<char*>(&n), 8);
  std::string header(n, '\0');
  f.read(header.data(), std::streamsize(n));
  const int64_t begin = nlohmann::json::parse(header)["wpe.weight"]["data_offsets"][0];
  const float nan = std::numeric_limits<float>::quiet_NaN();
  f.seekp(std::streamoff(8 + n + begin + 4 * 5));
  f.write(reinterpret_cast<const char*>(&nan), 4);
  f.close();
  expect_refusal(tmp, m, "tensor 'wpe.weight' holds a non-finite value");
}

TEST(ImportRefuses, AnInconsistentConfig) {
  cs::test::TempDir tmp;
  const std::string heads = copy_fixture(tmp, "gpt2", "heads");
  edit_json(heads + "/config.json", [](auto& j) { j["n_head"] = 5; });
  expect_refusal(tmp, heads, "n_embd 16 is not a multiple of n_head 5");
  const std::string layers = copy_fixture(tmp, "gpt2", "layers");
  edit_json(layers + "/config.json", [](auto& j) { j["n_layer"] = 1; });
  expect_refusal(tmp, layers, "tensor 'h.1.attn.c_attn.bias' is not part of a GPT2LMHeadModel with 1 layers");
  const std::string act = copy_fixture(tmp, "neox_bf16", "act");
  edit_json(act + "/config.json", [](auto& j) { j["hidden_act"] = "silu"; });
  expect_refusal(tmp, act, "'hidden_act' is 'silu'");
}

TEST(ImportRefuses, FoldersOfDifferentModels) {
  cs::test::TempDir tmp;
  expect_refusal(tmp, "--steps 1,2 " + hf_fixture("neox_bf16") + " " + hf_fixture("neox_sharded"),
                 "describes another model");
}

TEST(ImportRefuses, OnlyPytorchModelBinNamingTheConverter) {
  cs::test::TempDir tmp;
  const std::string m = copy_fixture(tmp, "gpt2", "m");
  fs::rename(m + "/model.safetensors", m + "/pytorch_model.bin");
  expect_refusal(tmp, m, "python3 -m circuitscope.convert " + m);
}

TEST(ImportRefuses, AFolderWithoutTokenizer) {
  cs::test::TempDir tmp;
  const std::string m = copy_fixture(tmp, "neox_bf16", "m");
  fs::remove(m + "/tokenizer.json");
  expect_refusal(tmp, m, "none of the folders holds tokenizer.json");
}

TEST(ImportRefuses, AnIndexPointingOutsideTheFolder) {
  cs::test::TempDir tmp;
  const std::string m = copy_fixture(tmp, "neox_sharded", "m");
  edit_json(m + "/model.safetensors.index.json",
            [](auto& j) { j["weight_map"]["embed_out.weight"] = "../model-00001-of-00002.safetensors"; });
  expect_refusal(tmp, m, "is not a file name in the model's folder");
}

TEST(ImportRefuses, StepsThatDoNotFit) {
  cs::test::TempDir tmp;
  const std::string s = hf_fixture("series/");
  expect_refusal(tmp, s + "step0 " + s + "step512 --steps 5,5", "two folders have the same step");
  expect_refusal(tmp, s + "step0 " + s + "step512 --steps 5", "--steps gives 1 steps for 2 folders");
  expect_refusal(tmp, s + "step0 " + hf_fixture("gpt2"), "is not named step<N>");
}

TEST(ImportRefuses, ToReplaceARunWithoutForce) {
  cs::test::TempDir tmp;
  const std::string m = hf_fixture("gpt2");
  ASSERT_EQ(cs::test::run_import(m + " --out " + tmp / "run").code, 0);
  const auto again = cs::test::run_import(m + " --out " + tmp / "run");
  EXPECT_NE(again.code, 0);
  EXPECT_NE(again.output.find("already holds a run"), std::string::npos) << again.output;
  EXPECT_EQ(cs::test::run_import(m + " --force --out " + tmp / "run").code, 0);
}

}  // namespace
