// `circuitscope icl DIR [DIR...]`: the in-context-learning curve of each run (docs/icl.md), written
// next to the run as analysis/icl.json, analysis/icl_score.npy and pictures; with several runs,
// comparison pictures too.
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>
#include <sstream>

#include "analysis/run_inputs.h"
#include "cli/commands.h"
#include "core/error.h"
#include "core/format.h"
#include "pipeline/icl_runs.h"
#include "report/plot.h"

namespace cs::cli {

namespace {

// The flags that change a run's ICL settings; unset ones keep what the run has recorded.
struct IclArgs {
  std::vector<std::string> dirs;
  std::string out;
  std::string early_window, late_window;
  std::optional<double> sigma, min_drop;
  std::optional<int64_t> search_from_step;
  bool linear_tokens = false;
};

analysis::Window parse_window(const std::string& text, const char* flag) {
  std::istringstream in(text);
  analysis::Window w;
  char comma = 0;
  CS_CHECK((in >> w.first >> comma >> w.last) && comma == ',' && (in >> std::ws).eof(),
           flag << " expects FIRST,LAST (two token positions), got '" << text << "'");
  return w;
}

// Applies the flags to the run's recorded settings and records the result when a flag changed it.
void update_settings(const run::RunDir& run, const IclArgs& a) {
  if (a.early_window.empty() && a.late_window.empty() && !a.sigma && !a.min_drop && !a.search_from_step) return;
  analysis::IclOptions o = analysis::icl_options(run);
  if (!a.early_window.empty()) {
    o.early_window = parse_window(a.early_window, "--early-window");
    o.early_index.reset();
  }
  if (!a.late_window.empty()) {
    o.late_window = parse_window(a.late_window, "--late-window");
    o.late_index.reset();
  }
  if (a.sigma) o.sigma_snapshots = *a.sigma;
  if (a.min_drop) o.min_drop_nats = *a.min_drop;
  if (a.search_from_step) o.search_from_step = *a.search_from_step;
  analysis::set_icl_options(run, o);
}

void print_table(const std::vector<pipeline::IclRun>& runs) {
  size_t width = 3;
  for (const pipeline::IclRun& r : runs) width = std::max(width, r.dir.size());
  std::printf("%-*s  %-20s  %s\n", int(width), "run", "final ICL (nats)", "phase change");
  for (const pipeline::IclRun& r : runs) {
    const double score = r.icl.icl_score.back(), err = r.icl.icl_stderr.back();
    const std::string icl = std::isfinite(err) ? format("%.3f ± %.3f", score, err) : format("%.3f", score);
    std::string phase = "none";
    if (const auto& p = r.icl.phase_change)
      phase = format("%s–%s tokens (steps %lld–%lld), Δ %.3f nats", report::format_si(double(p->start_tokens)).c_str(),
                     report::format_si(double(p->end_tokens)).c_str(), (long long)p->start_step, (long long)p->end_step,
                     p->delta_nats);
    // "±" is two bytes in UTF-8; pad by characters, not bytes.
    std::printf("%-*s  %-*s  %s\n", int(width), r.dir.c_str(), int(20 + (std::isfinite(err) ? 1 : 0)), icl.c_str(),
                phase.c_str());
  }
}

void run_icl(const IclArgs& a) {
  // Refuse a missing --out before any run's work is done.
  const std::string compare_out = a.dirs.size() > 1 ? pipeline::comparison_dir(a.dirs, a.out) : "";
  std::vector<pipeline::IclRun> runs;
  for (const std::string& dir : a.dirs) {
    try {
      update_settings(run::RunDir(dir), a);
    } catch (const Error& e) {
      fail("run " + dir + ": " + e.what());
    }
    runs.push_back(pipeline::icl(dir, a.linear_tokens));
    if (!runs.back().curve_note.empty())
      std::fprintf(stderr, "circuitscope icl: %s: training-loss curve skipped: %s\n", dir.c_str(),
                   runs.back().curve_note.c_str());
  }
  print_table(runs);
  for (const pipeline::IclRun& r : runs)
    std::printf("%s: %s and pictures in %s\n", r.name.c_str(), file_name(File::icl).c_str(),
                run::RunDir(r.dir).path(File::analysis_dir).c_str());
  if (runs.size() < 2) return;
  std::printf("comparison: %s.{svg,png}\n", pipeline::compare_icl(runs, compare_out).c_str());
}

}  // namespace

void register_icl(CLI::App& app) {
  auto args = std::make_shared<IclArgs>();
  auto* cmd = app.add_subcommand(
      "icl",
      "In-context-learning curve of training runs: per snapshot, the loss at late positions minus "
      "the loss at early positions (negative = the model uses its context), its derivatives over "
      "log training tokens and the phase-change window. Writes DIR/analysis/icl.json, "
      "icl_score.npy and pictures as SVG and PNG (icl_heatmap, icl_heatmap_relative, icl_score, "
      "icl_derivatives, loss_curve); with several runs also PLOTDIR/icl_comparison. The windows, "
      "smoothing and search start are the run's ICL settings: flags given are recorded in "
      "DIR/icl_settings.json and used by every later ICL score of the run (ablate, report, viewer, "
      "Python); flags not given keep what the run has recorded.");
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
  cmd->add_option("--sigma", args->sigma, "Gaussian smoothing of the score, in snapshots (default 2)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--min-drop", args->min_drop,
                  "smallest fall of the smoothed score across the window, in nats, that counts "
                  "as a phase change (default 0.15)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--search-from-step", args->search_from_step,
                  "look for the phase change only from this training step on (default: the end "
                  "of each run's learning-rate warm-up, whose transient is not a phase change)")
      ->check(CLI::NonNegativeNumber)
      ->type_name("STEP");
  cmd->add_flag("--linear-tokens", args->linear_tokens,
                "draw the heatmap's training-tokens axis linearly instead of on a log scale");
  cmd->callback([args] { run_icl(*args); });
}

}  // namespace cs::cli
