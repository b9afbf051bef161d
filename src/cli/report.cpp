// `circuitscope report RUN`: every analysis of a run on one self-contained HTML page that opens
// its findings in sentences (report/html_report.h, docs/report.md).
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "cli/tables.h"
#include "core/files.h"
#include "core/gemm.h"
#include "pipeline/run_report.h"

namespace cs::cli {

namespace {

struct ReportArgs {
  std::string run;
  int threads = 0;
  pipeline::ReportOptions options;
};

}  // namespace

void register_report(CLI::App& app) {
  auto args = std::make_shared<ReportArgs>();
  auto* cmd = app.add_subcommand(
      "report",
      "One self-contained HTML page of a run (it opens offline): its findings in sentences, then the loss "
      "curve, ICL score, heads over training, eigenvalues, composition, path expansion, ablations, "
      "skip-trigrams and probes. Runs every analysis first (over training when the run has two or more "
      "snapshots); writes RUN/analysis/ as `analyze` does, and the page.");
  // The folder is checked by the library, so that a wrong one is one line and exit code 1.
  cmd->add_option("run", args->run, "run folder")->required()->type_name("RUN");
  cmd->add_option("--snapshot", args->options.snapshot, "snapshot step, or last")
      ->capture_default_str()
      ->type_name("STEP|last");
  cmd->add_option("--out", args->options.out, "the page (default: RUN/" + file_name(File::report_html) + ")")->type_name("FILE");
  cmd->add_flag("--last-only", args->options.last_only,
                "analyse the snapshot only: no heads over training, no ablation sweep (faster)");
  cmd->add_option("--threads", args->threads, "threads (default: every core)")->check(CLI::NonNegativeNumber);
  cmd->callback([args] {
    set_num_threads(args->threads > 0 ? args->threads : default_threads());
    const std::string path = pipeline::report(args->run, args->options, [](const std::string& line) {
      std::fprintf(stderr, "report: %s\n", line.c_str());
    });
    std::printf("report: %s\n", path.c_str());
  });
}

}  // namespace cs::cli
