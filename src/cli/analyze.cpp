// `circuitscope analyze RUN`: every per-snapshot analysis in one go, on one loaded snapshot, each
// result passed on in memory: heads, circuits, paths, ablate, probes. Each writes what its own
// subcommand writes into RUN/analysis/; analyze.json records what ran, on which snapshot, and how
// long it took.
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "cli/tables.h"
#include "core/gemm.h"
#include "pipeline/analyze.h"

namespace cs::cli {

namespace {

struct AnalyzeArgs {
  std::string run;
  int threads = 0;
  pipeline::AnalyzeOptions options;
};

void print_step(const std::string& name, const pipeline::Analyses& a) {
  if (name == "heads") {
    print(*a.heads);
    if (a.heads_over_training) print(*a.heads_over_training);
  } else if (name == "circuits") {
    print(*a.circuits, a.snapshot);
  } else if (name == "paths") {
    print(*a.paths);
  } else if (name == "ablate") {
    print(*a.ablation);
  } else if (name == "probes") {
    print(*a.probes);
  }
  std::fflush(stdout);
}

}  // namespace

pipeline::Analyses analyze_and_print(const std::string& run_dir, const pipeline::AnalyzeOptions& options) {
  const run::RunDir run(run_dir);
  const pipeline::Analyses a = pipeline::analyze(run, options, [](const std::string& name, const pipeline::Analyses& so_far) {
    std::printf("\n== %s ==\n", name.c_str());
    print_step(name, so_far);
  });
  double total = 0;
  for (const auto& [name, secs] : a.seconds) total += secs;
  std::printf("\nanalyze: %zu analyses of step %lld in %.1f s -> %s/\n", a.seconds.size(), (long long)a.snapshot.step,
              total, run.path(File::analysis_dir).c_str());
  return a;
}

void register_analyze(CLI::App& app) {
  auto args = std::make_shared<AnalyzeArgs>();
  auto* cmd = app.add_subcommand(
      "analyze",
      "Every analysis of one snapshot, in order: heads (evaluators, head kinds), circuits "
      "(eigenvalues, skip-trigrams, composition), paths (path expansion), ablate (ΔICL per head) "
      "and probes. Writes into RUN/analysis/ what each subcommand writes, and analyze.json.");
  add_run_options(cmd, args->run, &args->options.snapshot, args->threads);
  cmd->add_flag("--over-training", args->options.over_training,
                "also score every snapshot: heads over training and the ablation sweep");
  cmd->add_option("--skip", args->options.skip, "analyses to leave out (repeatable or comma-separated)")
      ->delimiter(',')
      ->type_name("heads|circuits|paths|ablate|probes");
  cmd->callback([args] {
    set_num_threads(args->threads > 0 ? args->threads : default_threads());
    analyze_and_print(args->run, args->options);
  });
}

}  // namespace cs::cli
