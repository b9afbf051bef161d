// `circuitscope heads RUN`: the head evaluators and every head's kinds on one snapshot; with
// --over-training also each head's prefix-matching and previous-token score at every snapshot.
#include <cstdio>
#include <memory>

#include "analysis/heads_report.h"
#include "cli/commands.h"
#include "cli/tables.h"
#include "core/gemm.h"
#include "pipeline/analyses.h"
#include "pipeline/analysis_files.h"
#include "pipeline/run_curves.h"

namespace cs::cli {

namespace {

struct HeadsArgs {
  std::string run;
  std::string snapshot = "last";
  bool over_training = false;
  int threads = 0;
  analysis::HeadsOptions options;
};

void run_heads(const HeadsArgs& args) {
  set_num_threads(args.threads > 0 ? args.threads : default_threads());
  const run::RunDir run(args.run);
  const run::Snapshot snap = run.snapshot(args.snapshot);
  const analysis::HeadsReport heads = pipeline::heads(run, snap, args.options);
  pipeline::save(run, heads);
  print(heads);
  if (!args.over_training) return;
  const analysis::HeadsOverTrainingReport over = analysis::heads_over_training(run, args.options);
  const pipeline::LoadedIcl icl = pipeline::load_icl(run);
  if (!icl.icl) std::fprintf(stderr, "circuitscope heads: no ICL curve on the picture (%s)\n", icl.note.c_str());
  pipeline::save(run, over, icl.icl ? &*icl.icl : nullptr);
  print(over);
}

}  // namespace

void register_heads(CLI::App& app) {
  auto args = std::make_shared<HeadsArgs>();
  auto* cmd = app.add_subcommand(
      "heads",
      "Head evaluators (docs/evaluators.md) of one snapshot: prefix-matching (induction), previous-token, "
      "positional and empirical copying scores, the repeated-token loss, the OV/QK eigenvalue "
      "copying scores, and every head's kinds. Writes RUN/analysis/heads.json; with "
      "--over-training also heads_over_training.{json,svg,png} and .npy arrays [snapshot, layer, "
      "head].");
  add_run_options(cmd, args->run, &args->snapshot, args->threads);
  cmd->add_flag("--over-training", args->over_training,
                "also score every snapshot's heads (prefix matching, previous token)");
  cmd->add_option("--text-sequences", args->options.text_sequences,
                  "evaluation sequences for the previous-token and positional scores")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--training-text-sequences", args->options.training_text_sequences,
                  "evaluation sequences per snapshot for the previous-token score over training")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--seed", args->options.seed, "seed of the random evaluator sequences")->capture_default_str();
  cmd->callback([args] { run_heads(*args); });
}

}  // namespace cs::cli
