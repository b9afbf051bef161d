// `circuitscope probes RUN`: the talk's probes (a repeated paragraph, an English sentence and its
// French translation, the XOR task) or a prompt of the user's: loss on the answer tokens, against
// a control, and which heads carry it.
#include <memory>

#include "analysis/probes_report.h"
#include "cli/commands.h"
#include "cli/tables.h"
#include "core/gemm.h"
#include "data/tokenizer.h"
#include "pipeline/analyses.h"
#include "pipeline/analysis_files.h"

namespace cs::cli {

namespace {

struct ProbesArgs {
  std::string run;
  std::string snapshot = "last";
  int threads = 0;
  analysis::ProbesRequest request;
};

void run_probes(const ProbesArgs& args) {
  set_num_threads(args.threads > 0 ? args.threads : default_threads());
  const run::RunDir run(args.run);
  const run::Snapshot snap = run.snapshot(args.snapshot);
  const analysis::ProbesReport probes = pipeline::probes(run, snap, args.request);
  pipeline::save(run, probes);
  print(probes);
}

}  // namespace

void register_probes(CLI::App& app) {
  auto args = std::make_shared<ProbesArgs>();
  auto* cmd = app.add_subcommand(
      "probes",
      "The talk's probes on one snapshot: a repeated paragraph (induction), an English sentence "
      "followed by its French translation, and the XOR task (colour-or-month x animal-or-fruit -> "
      "true/false) learned from the context; or --context/--answer. Reports the loss on the "
      "answer tokens, a control, and each head's share (pattern-preserving ablation). Writes "
      "RUN/analysis/probes.json.");
  add_run_options(cmd, args->run, &args->snapshot, args->threads);
  cmd->add_option("--probe", args->request.names, "repeated_paragraph | translation | xor (repeatable)");
  cmd->add_option("--context", args->request.context, "a custom probe's context");
  cmd->add_option("--answer", args->request.answer, "a custom probe's answer (scored)");
  cmd->callback([args] { run_probes(*args); });
}

}  // namespace cs::cli
