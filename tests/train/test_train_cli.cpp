// `circuitscope train` end to end on a small generated corpus: the run folder, refusal of bad
// input, and exact resume after SIGINT, SIGTERM and kill -9.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "../common/run_cli.h"
#include "../common/weights.h"
#include "../data/text_gen.h"
#include "../io/temp_dir.h"
#include <nlohmann/json.hpp>

#include "core/gemm.h"
#include "io/atomic_file.h"
#include "io/npy.h"
#include "io/safetensors.h"
#include "run/run_dir.h"
#include "run/snapshot.h"

namespace cs {
namespace {

std::string make_corpus(const test::TempDir& tmp) {
  std::string text;
  for (int d = 0; d < 100; ++d) {
    if (d) text += "\n\f\n";
    text += test::generated_text(100 + d, 400 + 7 * d);
  }
  const std::string path = tmp / "corpus.txt";
  test::write_bytes(path, text);
  return path;
}

const std::string kModel =
    " --bytes --n-layers 1 --d-model 32 --n-heads 2 --d-head 8 --n-ctx 64 --batch 4 --snapshots 6"
    " --eval-count 16 --eval-fraction 0.25 --threads 1 --seed 3 --warmup 10";

int64_t last_logged_step(const std::string& run) {
  std::ifstream f(run + "/metrics.jsonl");
  std::string line, last;
  while (std::getline(f, line)) last = line;
  const auto pos = last.find("\"step\":");
  return pos == std::string::npos ? 0 : std::stoll(last.substr(pos + 7));
}

// Starts a training run, waits until it has logged `after` steps, sends sig, returns the status.
int interrupt_run(const std::string& args, const std::string& run, int64_t after, int sig) {
  const pid_t pid = fork();
  if (pid == 0) {
    const std::string cmd = std::string(CS_BINARY) + " train " + args + " > /dev/null 2>&1";
    execl("/bin/sh", "sh", "-c", ("exec " + cmd).c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid, &status, WNOHANG) == pid) return -1;  // finished before the interrupt
    if (last_logged_step(run) >= after) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill(pid, sig);
  waitpid(pid, &status, 0);
  return status;
}

using test::weights;

TEST(TrainCli, WritesTheRunFolder) {
  test::TempDir tmp;
  const std::string corpus = make_corpus(tmp), run = tmp / "run";
  const auto r = test::run_cli("train --corpus " + corpus + " --out " + run + kModel + " --steps 120 --lr 1e-2");
  ASSERT_EQ(r.code, 0) << r.output;
  for (const char* f : {"config.json", "metrics.jsonl", "tokenizer.json", "tokens/tokens.json",
                        "eval/tokens.npy", "eval/per_token_loss.npy", "eval/per_sequence_loss.npy",
                        "eval/snapshots.json", "snapshots/last.state"})
    EXPECT_TRUE(std::filesystem::exists(run + "/" + f)) << f;
  const auto steps = run::RunDir(run).snapshot_steps();
  ASSERT_GE(steps.size(), 5u);
  EXPECT_EQ(steps.front(), 0);
  EXPECT_EQ(steps.back(), 120);
  const auto per_token = io::read_npy(run + "/eval/per_token_loss.npy");
  EXPECT_EQ(per_token.shape, (std::vector<int64_t>{int64_t(steps.size()), 64}));
  const auto per_seq = io::read_npy(run + "/eval/per_sequence_loss.npy");
  EXPECT_EQ(per_seq.dtype, "<f2");
  EXPECT_EQ(per_seq.shape, (std::vector<int64_t>{int64_t(steps.size()), 16, 64}));
  // Training lowers the evaluation loss; at step 0 it is about ln(257).
  const auto L = per_token.to_float();
  double first = 0, last = 0;
  for (int t = 0; t < 64; ++t) {
    first += L[t] / 64;
    last += L[(steps.size() - 1) * 64 + t] / 64;
  }
  EXPECT_NEAR(first, std::log(257.0), 0.3);
  EXPECT_LT(last, first - 1.0);
  const auto st = io::SafeTensors::open(run::RunDir(run).snapshot_path(120));
  EXPECT_TRUE(st.has("blocks.0.attn.b_Q"));
  EXPECT_EQ(st.metadata().at("step"), "120");
}

// Mean evaluation loss of a run's last snapshot.
double final_eval_loss(const std::string& run) {
  const auto per_token = io::read_npy(run + "/eval/per_token_loss.npy");
  const auto L = per_token.to_float();
  const int64_t T = per_token.shape[1];
  double s = 0;
  for (int64_t t = 0; t < T; ++t) s += L[size_t((per_token.shape[0] - 1) * T + t)] / double(T);
  return s;
}

// The same run in fp32 and in bf16 (--insist-bf16): the weights differ, the loss does not move
// beyond rounding noise. Returns the shared arguments.
std::string check_bf16_like_fp32(const test::TempDir& tmp, const std::string& model_flags) {
  const std::string corpus = make_corpus(tmp), fp32 = tmp / "fp32", bf16 = tmp / "bf16";
  const std::string args = " --corpus " + corpus + kModel + model_flags + " --steps 120 --lr 1e-2";
  EXPECT_EQ(test::run_cli("train --out " + fp32 + args).code, 0);
  const auto r = test::run_cli("train --out " + bf16 + args + " --precision bf16 --insist-bf16");
  EXPECT_EQ(r.code, 0) << r.output;
  std::ifstream f(bf16 + "/config.json");
  EXPECT_EQ(nlohmann::json::parse(f)["train"]["precision"], "bf16");
  EXPECT_NE(weights(run::RunDir(fp32).snapshot_path(120)), weights(run::RunDir(bf16).snapshot_path(120)));
  EXPECT_NEAR(final_eval_loss(bf16), final_eval_loss(fp32), 0.05);
  return args;
}

TEST(TrainCli, Bf16PrecisionTrainsLikeFp32) {
  test::TempDir tmp;
  // The unembedding products of this model are large enough to take bf16 inputs.
  const std::string args = check_bf16_like_fp32(tmp, "");
  const std::string corpus = tmp / "corpus.txt";
  // Without --insist-bf16, bf16 is used only where the CPU has it natively; elsewhere it would be
  // slower than fp32, and the run says so and trains in fp32.
  const auto plain = test::run_cli("train --out " + (tmp / "plain") + " --corpus " + corpus + kModel +
                                   " --steps 2 --precision bf16");
  ASSERT_EQ(plain.code, 0) << plain.output;
  std::ifstream g(tmp / "plain/config.json");
  EXPECT_EQ(nlohmann::json::parse(g)["train"]["precision"], cpu_has_native_bf16() ? "bf16" : "fp32");
  EXPECT_EQ(plain.output.find("no native bf16 instructions") != std::string::npos, !cpu_has_native_bf16())
      << plain.output;
  const auto bad = test::run_cli("train --out " + (tmp / "bad") + args + " --precision fp16");
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.output.find("unknown precision 'fp16'"), std::string::npos) << bad.output;
  EXPECT_FALSE(std::filesystem::exists(tmp / "bad"));
}

// The MLP's products take bf16 inputs too: the loss stays where fp32 puts it.
TEST(TrainCli, Bf16PrecisionTrainsAModelWithMlps) {
  test::TempDir tmp;
  check_bf16_like_fp32(tmp, " --d-mlp 128 --act-fn gelu");
}

TEST(TrainCli, RefusesBadInput) {
  test::TempDir tmp;
  const std::string corpus = make_corpus(tmp), run = tmp / "run";
  ASSERT_EQ(test::run_cli("train --corpus " + corpus + " --out " + run + kModel + " --steps 5").code, 0);
  auto r = test::run_cli("train --corpus " + corpus + " --out " + run + kModel + " --steps 5");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("already holds a run"), std::string::npos) << r.output;
  r = test::run_cli("train --out " + run + " --resume --d-model 64");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("contradicts"), std::string::npos) << r.output;
  r = test::run_cli("train --corpus " + corpus + " --out " + (tmp / "r2") + " --bytes --n-ctx 0 --steps 5");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("n_ctx"), std::string::npos) << r.output;
  test::write_bytes(tmp / "tiny.txt", "too short");
  r = test::run_cli("train --corpus " + (tmp / "tiny.txt") + " --out " + (tmp / "r3") + kModel + " --steps 5");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("circuitscope: error: corpus shorter than one context"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(tmp / "r3")) << "a failed setup must leave nothing behind";
  EXPECT_FALSE(std::filesystem::exists(tmp / "r3.partial"));
  r = test::run_cli("train --out " + (tmp / "r4") + " --resume");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("holds no run"), std::string::npos) << r.output;
  r = test::run_cli("train --out " + (tmp / "r5") + " --no-such-flag");
  EXPECT_NE(r.code, 0);
}

// N steps straight equal N/2 + interrupt + resume, bit for bit (same thread count).
void check_exact_resume(int sig, const std::string& model_flags = "") {
  test::TempDir tmp;
  const std::string corpus = make_corpus(tmp);
  const std::string args = " --corpus " + corpus + kModel + model_flags + " --steps 3000 --state-every-steps 50";
  const std::string straight = tmp / "straight", cut = tmp / "cut";
  ASSERT_EQ(test::run_cli("train --out " + straight + args).code, 0);
  const int status = interrupt_run("--out " + cut + args, cut, 200, sig);
  ASSERT_NE(status, -1) << "the run finished before it could be interrupted";
  if (sig == SIGKILL) {
    EXPECT_TRUE(WIFSIGNALED(status));
  } else {
    // The signal reaches a thread that waits for it, never a computing one (train/interrupts.h):
    // the run stops cleanly every time.
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 130) << "status " << status;
    EXPECT_TRUE(std::filesystem::exists(cut + "/snapshots/last.state"));
  }
  const auto r = test::run_cli("train --out " + cut + " --resume");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(weights(run::RunDir(straight).snapshot_path(3000)), weights(run::RunDir(cut).snapshot_path(3000)));
  EXPECT_EQ(io::read_npy(straight + "/eval/per_sequence_loss.npy").bytes,
            io::read_npy(cut + "/eval/per_sequence_loss.npy").bytes);
}

TEST(TrainCli, ResumesExactlyAfterSigint) { check_exact_resume(SIGINT); }
TEST(TrainCli, ResumesExactlyAfterSigterm) { check_exact_resume(SIGTERM); }
TEST(TrainCli, ResumesExactlyAfterKill9) { check_exact_resume(SIGKILL); }
TEST(TrainCli, ResumesAModelWithMlpsExactly) { check_exact_resume(SIGINT, " --d-mlp 48 --act-fn gelu --biases"); }

}  // namespace
}  // namespace cs

namespace cs {
namespace {

// The run folder opens in Python with numpy alone, and the independent PyTorch model computes the
// same evaluation loss from the last snapshot as the engine did during training.
void check_python_agrees(const std::string& model_flags, const std::vector<std::string>& must_have) {
  if (std::system("/usr/bin/python3 -c 'import numpy, torch' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "python3-numpy or python3-torch is not installed";
  test::TempDir tmp;
  const std::string corpus = make_corpus(tmp), run = tmp / "run";
  ASSERT_EQ(test::run_cli("train --corpus " + corpus + " --out " + run + kModel + " --steps 30" + model_flags).code, 0);
  const auto r = test::run_command("/usr/bin/python3 " + std::string(CS_SOURCE_DIR) + "/python/check_run.py " + run +
                                   " 2>/dev/null");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  for (const auto& [name, shape] : j.at("expected_shapes").items())
    EXPECT_EQ(j.at("shapes").at(name), shape) << name;
  for (const std::string& name : must_have) EXPECT_TRUE(j.at("shapes").contains(name)) << name;
  EXPECT_EQ(j.at("metadata").at("step"), "30");
  EXPECT_LT(j.at("max_abs_loss_diff").get<double>(), 1e-4);
  EXPECT_GT(j.at("mean_loss").get<double>(), 1.0);
}

TEST(TrainCli, PythonReadsTheRunAndAgreesOnTheLoss) {
  check_python_agrees(" --positions rotary --normalization LN", {"unembed.b_U"});
}

// With MLP blocks (TransformerLens's names and shapes: blocks.{l}.mlp.W_in [d_model, d_mlp], ...)
// the independent PyTorch forward reproduces the per-token losses too.
TEST(TrainCli, PythonAgreesOnAModelWithMlps) {
  check_python_agrees(" --d-mlp 256 --act-fn gelu_new --normalization LN --positions standard",
                      {"blocks.0.ln2.w", "blocks.0.ln2.b", "blocks.0.mlp.W_in", "blocks.0.mlp.b_in",
                       "blocks.0.mlp.W_out", "blocks.0.mlp.b_out", "unembed.b_U"});
}

// A learning rate far too large: the loss is not finite within a few steps. The run stops there
// with one line naming the step, no update is made, and what was written stays loadable; with
// --skip-nonfinite the bad steps are skipped, counted in metrics.jsonl, and the run finishes.
TEST(TrainCli, NonFiniteStepStopsTheRunOrIsSkipped) {
  test::TempDir tmp;
  const std::string corpus = make_corpus(tmp), run = tmp / "run";
  const std::string args = "train --corpus " + corpus + " --out " + run + kModel + " --steps 20 --lr 1e30";
  test::CliResult r = test::run_cli(args);
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("training diverged at step "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--skip-nonfinite"), std::string::npos) << r.output;
  const run::RunDir dir(run);
  ASSERT_FALSE(dir.snapshot_steps().empty());
  for (int64_t step : dir.snapshot_steps()) EXPECT_NO_THROW(dir.snapshot(step)) << step;  // all finite

  r = test::run_cli(args + " --force --skip-nonfinite");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("steps skipped for a non-finite loss or gradient"), std::string::npos) << r.output;
  std::ifstream f(run + "/metrics.jsonl");
  std::string line;
  int skipped = 0;
  while (std::getline(f, line)) skipped += line.find("\"skipped\"") != std::string::npos;
  EXPECT_GE(skipped, 1);
  const run::RunDir replaced(run);  // a new run: RunDir keeps the config it read first
  for (int64_t step : replaced.snapshot_steps()) EXPECT_NO_THROW(replaced.snapshot(step)) << step;
}

// A disk that fills up mid-write (a file size limit stands in for it): the resume state cannot be
// written; the run stops with one line naming the file, the previous state stays intact, nothing
// half-written is left, and a later --resume with room again finishes exactly as an uninterrupted run.
TEST(TrainCli, AFullDiskLeavesThePreviousFilesIntact) {
  test::TempDir tmp;
  const std::string corpus = make_corpus(tmp), run = tmp / "run", straight = tmp / "straight";
  const std::string args = " --corpus " + corpus + kModel + " --steps 2000 --state-every-steps 100";
  ASSERT_EQ(test::run_cli("train --out " + straight + args).code, 0);
  ASSERT_NE(interrupt_run("--out " + run + args, run, 150, SIGINT), -1) << "finished before the interrupt";
  const std::string state = run::RunDir(run).path(File::state), before = io::read_file(state);
  // Below the state's size, above a snapshot's (a third of it): only the state write fails.
  const std::string limit = std::to_string(before.size() / 1024 - 4);
  const std::string out = tmp / "out.txt";
  const int status = std::system(("sh -c \"trap '' XFSZ; ulimit -f " + limit + "; exec " + CS_BINARY +
                                  " train --out " + run + " --resume\" > " + out + " 2>&1").c_str());
  const std::string output = io::read_file(out);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << status << ": " << output;
  EXPECT_NE(output.find("cannot write " + state), std::string::npos) << output;
  EXPECT_EQ(io::read_file(state), before) << "the previous state must be intact";
  for (const auto& e : std::filesystem::directory_iterator(run + "/snapshots"))
    EXPECT_EQ(e.path().string().find(".tmp"), std::string::npos) << e.path() << " left behind";
  const test::CliResult r = test::run_cli("train --out " + run + " --resume");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(weights(run::RunDir(straight).snapshot_path(2000)), weights(run::RunDir(run).snapshot_path(2000)));
}

}  // namespace
}  // namespace cs
