// `mpirun -np 2 circuitscope train` (docs/scale.md): one model trained data-parallel follows the
// single-process run step for step, rank 0 alone writes the run folder, an uneven batch is
// refused, and a run interrupted on one rank resumes exactly.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "../common/run_cli.h"
#include "../common/weights.h"
#include "../common/word_corpus.h"
#include "../io/temp_dir.h"
#include "io/safetensors.h"
#include "run/run_dir.h"

namespace cs {
namespace {

// As root, in a container, on a machine with fewer cores than ranks, and beside other tests.
const std::string kMpirun =
    std::string(CS_MPIRUN) + " --allow-run-as-root --oversubscribe --bind-to none -np ";

const std::string kModel =
    " --bytes --n-layers 2 --d-model 32 --n-heads 2 --d-head 8 --n-ctx 32 --snapshots 8"
    " --eval-count 16 --eval-fraction 0.25 --threads 1 --seed 3 --warmup 5 --lr 1e-2 --log-every 1";

std::string make_corpus(const test::TempDir& tmp) {
  const std::string path = tmp / "corpus.txt";
  test::write_bytes(path, test::word_corpus());
  return path;
}

std::string train_on(int ranks, const std::string& args) {
  return kMpirun + std::to_string(ranks) + " " + CS_BINARY + " train " + args;
}

std::vector<nlohmann::json> metrics(const std::string& run) {
  std::vector<nlohmann::json> lines;
  std::ifstream f(run + "/metrics.jsonl");
  for (std::string line; std::getline(f, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

// Lines of metrics.jsonl so far, while a run may be appending one.
size_t logged_steps(const std::string& run) {
  std::ifstream f(run + "/metrics.jsonl");
  size_t n = 0;
  for (std::string line; std::getline(f, line);) n += !f.eof();
  return n;
}

using test::weights;

void two_ranks_follow_one_process(const std::string& model_flags) {
  test::TempDir tmp;
  const std::string args = " --corpus " + make_corpus(tmp) + kModel + model_flags + " --steps 50 --batch 8";
  const std::string one = tmp / "one", two = tmp / "two";
  const auto r1 = test::run_cli("train --out " + one + args);
  ASSERT_EQ(r1.code, 0) << r1.output;
  const auto r2 = test::run_command(train_on(2, "--out " + two + args));
  ASSERT_EQ(r2.code, 0) << r2.output;
  EXPECT_NE(r2.output.find("on 2 ranks"), std::string::npos) << r2.output;

  // One line per step, written once: by rank 0 alone.
  const auto m1 = metrics(one), m2 = metrics(two);
  ASSERT_EQ(m1.size(), 50u);
  ASSERT_EQ(m2.size(), 50u);
  for (size_t i = 0; i < m1.size(); ++i) {
    EXPECT_EQ(m2[i]["step"], m1[i]["step"]);
    EXPECT_NEAR(m2[i]["loss"].get<double>(), m1[i]["loss"].get<double>(), 1e-4) << "step " << m1[i]["step"];
    EXPECT_EQ(m2[i]["ranks"], 2);
    EXPECT_GE(m2[i]["allreduce_seconds"].get<double>(), 0);
  }
  EXPECT_EQ(run::RunDir(two).snapshot_steps(), run::RunDir(one).snapshot_steps());
  EXPECT_EQ(run::RunDir(two).snapshot_steps().back(), 50);
}

TEST(MpiTrain, TwoRanksFollowOneProcess) { two_ranks_follow_one_process(""); }
TEST(MpiTrain, TwoRanksFollowOneProcessWithMlps) {
  two_ranks_follow_one_process(" --d-mlp 64 --act-fn gelu_new --biases");
}

TEST(MpiTrain, RefusesABatchThatDoesNotSplit) {
  test::TempDir tmp;
  const std::string run = tmp / "run";
  const auto r = test::run_command(train_on(2, "--out " + run + " --corpus " + make_corpus(tmp) + kModel +
                                                " --steps 5 --batch 3"));
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("circuitscope: error: --batch 3 does not split evenly over 2 ranks"), std::string::npos)
      << r.output;
  EXPECT_FALSE(std::filesystem::exists(run));
}

// The process id of one rank among mpirun's children, 0 while there is none.
pid_t rank_pid(pid_t mpirun, int rank) {
  const std::string wanted = "OMPI_COMM_WORLD_RANK=" + std::to_string(rank);
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line) || line.rfind(')') == std::string::npos) continue;
    std::istringstream rest(line.substr(line.rfind(')') + 1));
    char state;
    pid_t parent = 0;
    if (!(rest >> state >> parent) || parent != mpirun) continue;
    std::ifstream environ(entry.path() / "environ");
    for (std::string var; std::getline(environ, var, '\0');)
      if (var == wanted) return pid_t(std::stoi(name));
  }
  return 0;
}

// SIGTERM to rank 1 alone: the ranks agree on the step to stop after, rank 0 saves the state,
// and --resume on two ranks ends bit for bit where the uninterrupted run did.
TEST(MpiTrain, ResumesExactlyAfterOneRankIsInterrupted) {
  test::TempDir tmp;
  const std::string args = " --corpus " + make_corpus(tmp) + kModel + " --steps 200 --batch 8";
  const std::string straight = tmp / "straight", cut = tmp / "cut";
  const auto r = test::run_command(train_on(2, "--out " + straight + args));
  ASSERT_EQ(r.code, 0) << r.output;

  const pid_t pid = fork();
  if (pid == 0) {
    const std::string cmd = "exec " + train_on(2, "--out " + cut + args) + " > /dev/null 2>&1";
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  int status = 0;
  bool finished = false;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      finished = true;
      break;
    }
    if (logged_steps(cut) >= 20) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const pid_t rank1 = finished ? 0 : rank_pid(pid, 1);
  if (!finished) {
    if (rank1 > 0) kill(rank1, SIGTERM);
    waitpid(pid, &status, 0);
  }
  ASSERT_FALSE(finished) << "the run finished before it could be interrupted";
  ASSERT_GT(rank1, 0) << "rank 1 not found among mpirun's children";
  ASSERT_LT(metrics(cut).size(), 200u);
  ASSERT_TRUE(std::filesystem::exists(cut + "/snapshots/last.state"));

  const auto resumed = test::run_command(train_on(2, "--out " + cut + " --resume"));
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_EQ(weights(run::RunDir(straight).snapshot_path(200)), weights(run::RunDir(cut).snapshot_path(200)));
  EXPECT_EQ(run::RunDir(cut).snapshot_steps(), run::RunDir(straight).snapshot_steps());
}

}  // namespace
}  // namespace cs
