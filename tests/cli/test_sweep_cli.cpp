// `circuitscope sweep` end to end on the tests' word corpus: a tiny grid (1-2 layers, attention-only
// and with MLP blocks) planned, trained two at a
// time, stopped by SIGINT once a run has saved its state, carried on to the end (bit for bit what
// an uninterrupted run gives) and reported; a printed command run through a shell; bad input.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "../common/run_cli.h"
#include "../common/weights.h"
#include "../common/word_corpus.h"
#include "../io/temp_dir.h"
#include "io/atomic_file.h"
#include "io/npy.h"
#include "run/run_dir.h"
#include "sweep/sweep_dir.h"

namespace cs {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// Two layers of two heads at most, bytes, n_ctx 64: a run of 600 steps takes about a second.
const std::string kTiny =
    " --bytes --d-model 16 --n-heads 2 --d-head 8 --n-ctx 64 --batch 4 --snapshots 8 --eval-count 16"
    " --eval-fraction 0.25 --warmup 10 --lr 1e-2 --state-every-steps 10";

std::string corpus(const test::TempDir& tmp) {
  test::write_bytes(tmp / "corpus.txt", test::word_corpus());
  return tmp / "corpus.txt";
}

json read_json(const std::string& path) { return json::parse(io::read_file(path)); }

bool finished(const std::string& run, int64_t steps) {
  const run::RunDir dir(run);
  const auto eval = dir.is_run() ? dir.read_json(File::eval_snapshots) : std::nullopt;
  return eval && !(*eval)["steps"].empty() && (*eval)["steps"].back() == steps;
}

// Starts `sweep run DIR --jobs 2`, sends SIGINT once some run has saved a state and is not done,
// and returns the sweep's exit status (-1 when it ended before that).
int interrupt_sweep(const std::string& dir, const std::vector<std::string>& runs, int64_t steps) {
  const pid_t pid = fork();
  if (pid == 0) {
    const std::string cmd = std::string(CS_BINARY) + " sweep run " + dir + " --jobs 2 > " + dir + ".out 2>&1";
    execl("/bin/sh", "sh", "-c", ("exec " + cmd).c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  int status = 0;
  for (bool saved = false; !saved && std::chrono::steady_clock::now() < deadline;) {
    if (waitpid(pid, &status, WNOHANG) == pid) return -1;
    for (const std::string& r : runs)
      saved = saved || (fs::exists(dir + "/" + r + "/snapshots/last.state") && !finished(dir + "/" + r, steps));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  kill(pid, SIGINT);
  waitpid(pid, &status, 0);
  return status;
}

// The machine's cores shared by two jobs, at least one each.
const int kThreads = std::max(1, int(std::thread::hardware_concurrency()) / 2);

std::string flag_after(const std::vector<std::string>& flags, const std::string& flag) {
  for (size_t i = 0; i + 1 < flags.size(); ++i)
    if (flags[i] == flag) return flags[i + 1];
  return "";
}

// The run of `train` flags (a sweep's entry) trained straight into `straight` equals the sweep's,
// bit for bit.
void check_same_as_straight(const std::string& dir, const std::vector<std::string>& flags,
                            const std::string& straight) {
  std::string command = "train --threads " + std::to_string(kThreads);
  for (size_t i = 0; i < flags.size(); ++i)
    command += " " + (i > 0 && flags[i - 1] == "--corpus" ? dir + "/" + flags[i]
                      : i > 0 && flags[i - 1] == "--out"  ? straight
                                                          : flags[i]);
  ASSERT_EQ(test::run_cli(command).code, 0);
  const std::string run = dir + "/" + flag_after(flags, "--out");
  const int64_t steps = std::stoll(flag_after(flags, "--steps"));
  EXPECT_EQ(test::weights(run::RunDir(straight).snapshot_path(steps)),
            test::weights(run::RunDir(run).snapshot_path(steps)));
  EXPECT_EQ(io::read_npy(straight + "/eval/per_sequence_loss.npy").bytes,
            io::read_npy(run + "/eval/per_sequence_loss.npy").bytes);
}

// `sweep report` covers every run: sweep.json's results, the page, the pictures and their data.
void check_report(const std::string& dir, const std::vector<std::string>& runs) {
  const auto r = test::run_cli("sweep report " + dir + " --threads 2");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("sweep report: 4 of 4 runs measured"), std::string::npos) << r.output;
  const json results = read_json(dir + "/sweep.json")["results"];
  ASSERT_EQ(results["runs"].size(), runs.size());
  const std::string page = io::read_file(dir + "/sweep.html");
  const io::NpyArray icl = io::read_npy(dir + "/sweep_icl.npy");
  const size_t n = run::RunDir(dir + "/" + runs[0]).snapshot_steps().size();  // the same schedule for all
  ASSERT_EQ(icl.shape, (std::vector<int64_t>{int64_t(runs.size()), int64_t(n), 3}));
  const std::vector<double> values = icl.to_double();
  for (size_t i = 0; i < runs.size(); ++i) {
    const json& m = results["runs"][i];
    EXPECT_EQ(m["name"], runs[i]);
    EXPECT_TRUE(m["measured"].get<bool>()) << m.dump();
    EXPECT_GT(m["final_loss"].get<double>(), 1.0);
    EXPECT_LT(m["final_loss"].get<double>(), std::log(257.0));
    // The picture's data is the run's curve: its last snapshot holds the final score.
    EXPECT_DOUBLE_EQ(values[(i * n + n - 1) * 3 + 0], 600 * 256);
    EXPECT_DOUBLE_EQ(values[(i * n + n - 1) * 3 + 1], m["final_icl_score"].get<double>());
    EXPECT_NE(page.find(runs[i]), std::string::npos) << runs[i];
  }
  EXPECT_EQ(read_json(dir + "/sweep_induction_layers.json")["layers"], 2);
  EXPECT_EQ(io::read_npy(dir + "/sweep_loss_slope.npy").shape[0], int64_t(runs.size()));
  for (const char* f : {"sweep_icl", "sweep_loss_slope", "sweep_induction_layers"})
    for (const char* ext : {".svg", ".png", ".json", ".npy"}) EXPECT_TRUE(fs::exists(dir + "/" + f + ext)) << f << ext;
  size_t pictures = 0;
  for (size_t at = page.find("data:image/svg+xml;base64,"); at != std::string::npos;
       at = page.find("data:image/svg+xml;base64,", at + 1))
    ++pictures;
  EXPECT_EQ(pictures, 3u);
  EXPECT_EQ(page.find("http"), std::string::npos) << "the page must open offline";
  EXPECT_GE(results["findings"].size(), 3u);
  // How busy the sweep kept the cores, and its own cost against the training.
  const json usage = results["usage"];
  EXPECT_EQ(usage["sessions"], 2);
  EXPECT_GT(usage["utilisation"].get<double>(), 0.05);
  EXPECT_LT(usage["utilisation"].get<double>(), 1.05);
  EXPECT_GT(usage["overhead"].get<double>(), 0);
  EXPECT_GT(usage["plan_cpu_seconds"].get<double>(), 0);
  EXPECT_GT(usage["report_cpu_seconds"].get<double>(), 0);
  EXPECT_NE(r.output.find("of the cores' time"), std::string::npos) << r.output;
  // `serve DIR` shows every run of the sweep.
  EXPECT_EQ(sweep::runs_with_snapshots(sweep::load_sweep(dir)).size(), runs.size());
}

TEST(SweepCli, PlansRunsStopsCarriesOnAndReports) {
  test::TempDir tmp;
  const std::string dir = tmp / "sweep";
  const std::vector<std::string> runs = {"l1-attn-s0", "l1-mlp-s0", "l2-attn-s0", "l2-mlp-s0"};
  auto r = test::run_cli("sweep plan --out " + dir + " --layers 1,2 --mlp no,yes --corpus " + corpus(tmp) + kTiny +
                         " --steps 600");
  ASSERT_EQ(r.code, 0) << r.output;
  const json plan = read_json(dir + "/sweep.json");
  ASSERT_EQ(plan["runs"].size(), 4u);
  for (size_t i = 0; i < runs.size(); ++i) EXPECT_EQ(plan["runs"][i]["name"], runs[i]);
  // What was not given comes from the demo's recipe.
  EXPECT_NE(plan["runs"][3]["train"].dump().find("\"--positions\",\"standard\",\"--normalization\",\"LN\""),
            std::string::npos);

  const int status = interrupt_sweep(dir, runs, 600);
  ASSERT_NE(status, -1) << "the sweep finished before it could be stopped: " << io::read_file(dir + ".out");
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 130) << status << "\n" << io::read_file(dir + ".out");
  json after = read_json(dir + "/sweep.json");
  std::string stopped;
  for (const auto& run : after["runs"]) {
    EXPECT_NE(run["status"], "failed") << run.dump();
    if (run["status"] == "interrupted" &&
        fs::exists(dir + "/" + run["name"].get<std::string>() + "/snapshots/last.state"))
      stopped = run["name"];
  }
  ASSERT_FALSE(stopped.empty()) << after.dump(1);
  EXPECT_FALSE(finished(dir + "/" + stopped, 600));

  // Longest first: the 2-layer MLP run starts first, the 1-layer attention-only run last.
  const std::string first_session = io::read_file(dir + ".out");
  EXPECT_EQ(first_session.substr(0, first_session.find('\n')).find("l2-mlp-s0: starting"), 0u) << first_session;
  EXPECT_EQ(first_session.find("l1-attn-s0: starting"), std::string::npos) << first_session;
  r = test::run_cli("sweep run " + dir + " --jobs 2");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("sweep run: 4 of 4 runs finished"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(stopped + ": resuming at step"), std::string::npos) << r.output;
  after = read_json(dir + "/sweep.json");
  ASSERT_EQ(after["sessions"].size(), 2u) << after.dump(1);
  for (const auto& session : after["sessions"]) {
    EXPECT_EQ(session["jobs"], 2);
    EXPECT_GT(session["wall_seconds"].get<double>(), 0);
    EXPECT_GT(session["runs_cpu_seconds"].get<double>(), 0);
    EXPECT_GT(session["own_cpu_seconds"].get<double>(), 0);
  }
  for (const auto& run : after["runs"]) {
    const std::string name = run["name"];
    EXPECT_EQ(run["status"], "finished") << name;
    EXPECT_EQ(run["threads"], kThreads) << name;
    EXPECT_GT(run["wall_seconds"].get<double>(), 0) << name;
    EXPECT_GT(run["cpu_seconds"].get<double>(), 0) << name;
    EXPECT_GE(run["sessions"].get<int>(), name == stopped ? 2 : 1) << name;
    const run::RunDir rd(dir + "/" + name);
    EXPECT_EQ(rd.snapshot_steps().back(), 600) << name;
    EXPECT_EQ(rd.eval_losses().n_snapshots(), int64_t(rd.snapshot_steps().size())) << name;
  }

  // The stopped run went on exactly as if it had never stopped.
  for (const auto& run : after["runs"])
    if (run["name"] == stopped) check_same_as_straight(dir, run["train"], tmp / "straight");
  check_report(dir, runs);
}

TEST(SweepCli, APrintedCommandTrainsThroughAShell) {
  test::TempDir tmp;
  const std::string dir = tmp / "one";
  ASSERT_EQ(
      test::run_cli("sweep plan --out " + dir + " --layers 1 --seeds 3 --corpus " + corpus(tmp) + kTiny + " --steps 20")
          .code,
      0);
  auto r = test::run_cli("sweep commands " + dir + " --threads 1");
  ASSERT_EQ(r.code, 0) << r.output;
  std::istringstream lines(r.output);
  std::string line, more;
  std::getline(lines, line);
  EXPECT_FALSE(std::getline(lines, more)) << "one line per run: " << r.output;
  EXPECT_NE(line.find(" train --corpus " + dir + "/tokens-bytes --out " + dir + "/l1-attn-s3 --n-layers 1 --seed 3"),
            std::string::npos)
      << line;
  EXPECT_NE(line.find("--threads 1"), std::string::npos) << line;
  // From another folder, as a scheduler would run it.
  r = test::run_command("cd / && " + line);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(run::RunDir(dir + "/l1-attn-s3").snapshot_steps().back(), 20);
  r = test::run_cli("sweep commands " + dir);
  EXPECT_EQ(r.output, "# l1-attn-s3: finished\n");
  // A run trained elsewhere counts as finished for `sweep run`.
  r = test::run_cli("sweep run " + dir);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("sweep run: 1 of 1 runs finished"), std::string::npos) << r.output;
}

TEST(SweepCli, BadInputIsOneClearError) {
  test::TempDir tmp;
  auto r = test::run_cli("sweep plan --out " + (tmp / "s") + " --layers 1 --no-such 1");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.output,
            "circuitscope: error: sweep plan: unknown flag --no-such (`circuitscope train --help` lists "
            "train's flags)\n");
  EXPECT_FALSE(fs::exists(tmp / "s/sweep.json"));
  r = test::run_cli("sweep plan --out " + (tmp / "s") + " --mlp maybe");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("maybe"), std::string::npos) << r.output;
  r = test::run_cli("sweep run");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("dir is required"), std::string::npos) << r.output;
  r = test::run_cli("sweep run " + (tmp / "none"));
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.output, "circuitscope: error: " + (tmp / "none") +
                          " is not a folder (make a sweep with `circuitscope "
                          "sweep plan --out " +
                          (tmp / "none") + "`)\n");
  test::write_bytes(tmp / "bad/sweep.json", "{\"format\": \"circuitscope-sweep\", \"version\": 1, \"runs\": [");
  for (const char* command : {"run", "commands", "report"}) {
    r = test::run_cli("sweep " + std::string(command) + " " + (tmp / "bad"));
    EXPECT_EQ(r.code, 1) << command;
    EXPECT_NE(r.output.find("circuitscope: error: " + (tmp / "bad/sweep.json") + " is not valid JSON"),
              std::string::npos)
        << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  }
  ASSERT_EQ(test::run_cli("sweep plan --out " + (tmp / "p") + " --corpus " + corpus(tmp) + kTiny + " --steps 5").code,
            0);
  r = test::run_cli("sweep plan --out " + (tmp / "p") + " --corpus " + corpus(tmp) + kTiny);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find((tmp / "p") + " already holds a sweep"), std::string::npos) << r.output;
}

TEST(SweepCli, EverySubcommandHasHelp) {
  for (const char* sub : {"", " plan", " run", " commands", " report"}) {
    const auto r = test::run_cli(std::string("sweep") + sub + " --help");
    EXPECT_EQ(r.code, 0) << sub;
    EXPECT_NE(r.output.find("Usage"), std::string::npos) << sub << r.output;
  }
  EXPECT_NE(test::run_cli("sweep plan --help").output.find("train flag"), std::string::npos);
  EXPECT_NE(test::run_cli("sweep run --help").output.find("--jobs"), std::string::npos);
}

// MLP blocks arrive with train's --d-mlp; on a build without them this says so and skips.
TEST(SweepCli, MlpRunsTrainWithBlocksOfFourTimesTheWidth) {
  if (test::run_cli("train --help").output.find("--d-mlp") == std::string::npos)
    GTEST_SKIP() << "this build's train has no --d-mlp";
  test::TempDir tmp;
  const std::string dir = tmp / "mlp";
  ASSERT_EQ(test::run_cli("sweep plan --out " + dir + " --layers 1 --mlp no,yes --corpus " + corpus(tmp) + kTiny +
                          " --steps 30")
                .code,
            0);
  auto r = test::run_cli("sweep run " + dir + " --jobs 2");
  ASSERT_EQ(r.code, 0) << r.output;
  const json attn = read_json(dir + "/l1-attn-s0/config.json")["model"];
  const json mlp = read_json(dir + "/l1-mlp-s0/config.json")["model"];
  EXPECT_TRUE(attn["d_mlp"].is_null() || attn["d_mlp"] == 0) << attn.dump();
  EXPECT_EQ(mlp["d_mlp"], 64);
  EXPECT_EQ(mlp["act_fn"], "gelu");
  r = test::run_cli("sweep report " + dir);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("l1-mlp-s0   1       yes"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace cs
