// `circuitscope analyze RUN`: every per-snapshot analysis in one go, in the order where each can
// use the one before (the circuits read the measured previous-token scores of the evaluators):
// heads, circuits, paths, ablate, probes. Each writes what its own subcommand writes into
// RUN/analysis/; analyze.json records what ran, on which snapshot, and how long it took.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/analyses.h"
#include "cli/commands.h"
#include "cli/run_inputs.h"
#include "core/error.h"
#include "io/atomic_file.h"
#include "run/run_config.h"
#include "run/snapshot.h"

namespace cs::cli {

namespace {

const std::vector<std::string>& step_names() {
  static const std::vector<std::string> names = {"heads", "circuits", "paths", "ablate", "probes"};
  return names;
}

}  // namespace

void run_analyze(const AnalyzeArgs& args) {
  for (const std::string& s : args.skip)
    CS_CHECK(std::find(step_names().begin(), step_names().end(), s) != step_names().end(),
             "--skip expects heads, circuits, paths, ablate or probes, got '" << s << "'");
  const run::RunConfig rc = run::read_run_config(args.run);
  // Resolve "last" once so that every analysis reads the same snapshot, and fail before any work
  // on a snapshot that is not there or belongs to another run.
  const RunSnapshot snap = load_run_snapshot(args.run, rc, args.snapshot);
  const std::string step = std::to_string(snap.info.step);
  const int threads = args.threads > 0 ? args.threads : default_threads();

  // Every analysis reads the same run and snapshot with the same threads.
  auto on = [&](auto a) {
    a.run = args.run;
    a.threads = threads;
    return a;
  };
  std::vector<std::pair<std::string, std::function<void()>>> steps;
  steps.emplace_back("heads", [&] {
    HeadsArgs a = on(HeadsArgs{});
    a.snapshot = step;
    a.over_training = args.over_training;
    run_heads(a);
  });
  steps.emplace_back("circuits", [&] {
    CircuitsArgs a = on(CircuitsArgs{});
    a.snapshot = step;
    if (rc.model.n_layers < 2) a.only = "circuits";
    run_circuits(a);
  });
  steps.emplace_back("paths", [&] {
    PathsArgs a = on(PathsArgs{});
    a.snapshot = step;
    run_paths(a);
  });
  steps.emplace_back("ablate", [&] {
    AblateArgs a = on(AblateArgs{});
    a.snapshots = args.over_training ? "all" : step;
    run_ablate(a);
  });
  steps.emplace_back("probes", [&] {
    ProbesArgs a = on(ProbesArgs{});
    a.snapshot = step;
    run_probes(a);
  });

  nlohmann::ordered_json done = nlohmann::ordered_json::array();
  double total = 0;
  for (const auto& [name, fn] : steps) {
    if (std::find(args.skip.begin(), args.skip.end(), name) != args.skip.end()) continue;
    if (rc.model.n_layers == 0 && name != "circuits") continue;  // no heads to analyse
    std::printf("\n== %s ==\n", name.c_str());
    std::fflush(stdout);
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    total += secs;
    done.push_back({{"analysis", name}, {"seconds", secs}});
  }
  nlohmann::ordered_json j;
  j["snapshot_step"] = snap.info.step;
  j["snapshot_tokens"] = snap.info.tokens;
  j["over_training"] = args.over_training;
  j["analyses"] = done;
  j["seconds"] = total;
  io::write_file_atomic(analysis_path(args.run, "analyze.json"), j.dump(2) + "\n");
  std::printf("\nanalyze: %zu analyses of step %s in %.1f s -> %s/analysis/\n", done.size(),
              step.c_str(), total, args.run.c_str());
}


void register_analyze(CLI::App& app) {
  auto args = std::make_shared<AnalyzeArgs>();
  auto* cmd = app.add_subcommand(
      "analyze",
      "Every analysis of one snapshot, in order: heads (evaluators, head kinds), circuits "
      "(eigenvalues, skip-trigrams, composition), paths (path expansion), ablate (ΔICL per head) "
      "and probes. Writes into RUN/analysis/ what each subcommand writes, and analyze.json.");
  cmd->add_option("run", args->run, "run folder")->required()->check(CLI::ExistingDirectory);
  cmd->add_option("--snapshot", args->snapshot, "STEP or last")->capture_default_str();
  cmd->add_flag("--over-training", args->over_training,
                "also score every snapshot: heads over training and the ablation sweep");
  cmd->add_option("--skip", args->skip, "analyses to leave out (repeatable or comma-separated)")
      ->delimiter(',')
      ->type_name("heads|circuits|paths|ablate|probes");
  cmd->add_option("--threads", args->threads, "threads (default: every core)");
  cmd->callback([args] { run_analyze(*args); });
}

}  // namespace cs::cli
