// `circuitscope paths RUN`: path expansion and term importance by order on the run's evaluation
// sequences, patterns frozen to the clean pass.
#include <memory>

#include "analysis/paths_report.h"
#include "cli/commands.h"
#include "cli/tables.h"
#include "core/gemm.h"
#include "pipeline/analyses.h"
#include "pipeline/analysis_files.h"

namespace cs::cli {

namespace {

struct PathsArgs {
  std::string run;
  std::string snapshot = "last";
  bool no_virtual = false;
  int threads = 0;
  analysis::PathsOptions options;
};

void run_paths(const PathsArgs& args) {
  set_num_threads(args.threads > 0 ? args.threads : default_threads());
  const run::RunDir run(args.run);
  analysis::PathsOptions o = args.options;
  o.virtual_heads = !args.no_virtual;
  const analysis::PathsReport paths = pipeline::paths(run, run.snapshot(args.snapshot), o);
  pipeline::save(run, paths);
  print(paths);
}

}  // namespace

void register_paths(CLI::App& app) {
  auto args = std::make_shared<PathsArgs>();
  auto* cmd = app.add_subcommand(
      "paths",
      "Path expansion (docs/evaluators.md) with patterns frozen to the clean pass: loss at path order 0 "
      "(direct path) .. n_layers (full model), the marginal value of single-head terms and of "
      "virtual heads, and the importance of each head's term and each virtual head. Writes "
      "RUN/analysis/paths.json.");
  add_run_options(cmd, args->run, &args->snapshot, args->threads);
  cmd->add_option("--sequences", args->options.sequences, "evaluation sequences for the losses by order")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--term-sequences", args->options.term_sequences,
                  "of those, how many give the per-term importances (one pass per head and per "
                  "virtual head)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--no-virtual", args->no_virtual, "skip the per-virtual-head importances");
  cmd->add_option("--batch", args->options.batch, "sequences per pass")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->callback([args] { run_paths(*args); });
}

}  // namespace cs::cli
