// `circuitscope icl DIR [DIR...]`: the in-context-learning curve of each run (docs/icl.md), written
// next to the run as analysis/icl.json, analysis/icl_score.npy and pictures; with several runs,
// comparison pictures too.
#include <memory>

#include "cli/commands.h"
#include "report/icl_runs.h"

namespace cs::cli {

void register_icl(CLI::App& app) {
  auto args = std::make_shared<report::IclArgs>();
  auto* cmd = app.add_subcommand(
      "icl",
      "In-context-learning curve of training runs: per snapshot, the loss at late positions minus "
      "the loss at early positions (negative = the model uses its context), its derivatives over "
      "log training tokens and the phase-change window. Writes DIR/analysis/icl.json, "
      "icl_score.npy and pictures as SVG and PNG (icl_heatmap, icl_heatmap_relative, icl_score, "
      "icl_derivatives, loss_curve); with several runs also PLOTDIR/icl_comparison.");
  cmd->add_option("dirs", args->dirs,
                  "run folders, each with eval/per_sequence_loss.npy and eval/snapshots.json "
                  "(metrics.jsonl, if present, gives the training-loss curve)")
      ->required()
      ->type_name("DIR")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--out", args->out,
                  "folder for the comparison plots of several runs (default: the runs' common "
                  "parent folder)")
      ->type_name("PLOTDIR");
  cmd->add_option("--early-window", args->early_window,
                  "early token positions averaged, FIRST,LAST inclusive (default 36,60; for "
                  "n_ctx < 511: 10% of the context ±5%)")
      ->type_name("FIRST,LAST");
  cmd->add_option("--late-window", args->late_window,
                  "late token positions averaged, FIRST,LAST inclusive (default 486,510; for "
                  "n_ctx < 511: 97% of the context ±5%, clipped)")
      ->type_name("FIRST,LAST");
  cmd->add_option("--sigma", args->sigma, "Gaussian smoothing of the score, in snapshots")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--min-drop", args->min_drop,
                  "smallest fall of the smoothed score across the window, in nats, that counts "
                  "as a phase change")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--search-from-step", args->search_from_step,
                  "look for the phase change only from this training step on (default: the end "
                  "of each run's learning-rate warm-up, whose transient is not a phase change)")
      ->check(CLI::NonNegativeNumber)
      ->type_name("STEP");
  cmd->add_flag("--linear-tokens", args->linear_tokens,
                "draw the heatmap's training-tokens axis linearly instead of on a log scale");
  cmd->callback([args] { report::run_icl(*args); });
}

}  // namespace cs::cli
