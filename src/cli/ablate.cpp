// `circuitscope ablate RUN`: which heads carry in-context learning. For every snapshot (or one),
// each head's ΔICL: the ICL score with the head ablated minus without, pattern-preserving by
// default.
#include <cstdio>
#include <memory>

#include "analysis/ablation_report.h"
#include "cli/commands.h"
#include "cli/tables.h"
#include "core/error.h"
#include "core/gemm.h"
#include "pipeline/analyses.h"
#include "pipeline/analysis_files.h"

namespace cs::cli {

namespace {

struct AblateArgs {
  std::string run;
  bool full = false;
  std::string snapshots = "all";  // all | last | a snapshot's step
  int threads = 0;
  analysis::AblationOptions options;
};

void run_ablate(const AblateArgs& args) {
  set_num_threads(args.threads > 0 ? args.threads : default_threads());
  const run::RunDir run(args.run);
  analysis::AblationOptions o = args.options;
  o.kind = args.full ? analysis::AblationKind::full : analysis::AblationKind::pattern_preserving;
  if (args.snapshots != "all") {
    const std::string& s = args.snapshots;
    CS_CHECK(s == "last" || (!s.empty() && s.find_first_not_of("0123456789") == std::string::npos),
             "--snapshots must be all, last or a snapshot's step, got '" << s << "'");
    o.steps = {run.resolve_step(s)};
  }
  const analysis::AblationReport r = pipeline::ablate(run, o);
  if (r.prefix_matching_last.empty())
    std::fprintf(stderr, "circuitscope ablate: heads not coloured by prefix matching (the run has no tokenizer "
                         "or evaluation text for it)\n");
  pipeline::save(run, r);
  print(r);
}

}  // namespace

void register_ablate(CLI::App& app) {
  auto args = std::make_shared<AblateArgs>();
  auto* cmd = app.add_subcommand(
      "ablate",
      "Attribution of in-context learning to heads (docs/evaluators.md): for every snapshot, each head's ICL "
      "score with the head ablated minus without. Pattern-preserving ablation by default. Writes "
      "RUN/analysis/ablation_icl.json, ablation_icl.npy [snapshot, layer, head] and pictures.");
  add_run_options(cmd, args->run, nullptr, args->threads);
  cmd->add_flag("--full", args->full, "full ablation: patterns recomputed after the ablation");
  cmd->add_option("--snapshots", args->snapshots,
                  "all | last | STEP (one snapshot also reports the other ablation kind per head)")
      ->capture_default_str();
  cmd->add_option("--batch", args->options.batch, "sequences per pass")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--max-sequences", args->options.max_sequences,
                  "use only the first N evaluation sequences (0: all)")
      ->capture_default_str();
  cmd->callback([args] { run_ablate(*args); });
}

}  // namespace cs::cli
