// `circuitscope sweep plan|run|commands|report`: a grid of training runs in one folder, trained and
// compared (docs/sweep.md).
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "cli/tables.h"
#include "core/error.h"
#include "core/gemm.h"
#include "report/sentences.h"
#include "sweep/commands.h"
#include "sweep/report_sweep.h"
#include "sweep/run_sweep.h"
#include "sweep/sweep_dir.h"

namespace cs::cli {

namespace {

// Train's flags as its own command line defines them, so that a sweep accepts exactly those.
std::vector<sweep::TrainFlag> train_flags(CLI::App& app) {
  std::vector<sweep::TrainFlag> flags;
  for (const CLI::Option* o : app.get_subcommand("train")->get_options())
    for (const std::string& name : o->get_lnames())
      if (name != "help") flags.push_back({"--" + name, o->get_expected_max() > 0});
  return flags;
}

// This binary's path, for commands that must run as printed from anywhere.
std::string this_binary() {
  char buf[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, size_t(n)) : "circuitscope";
}

void add_plan(CLI::App& sweep, CLI::App& app) {
  auto q = std::make_shared<sweep::PlanRequest>();
  auto mlp = std::make_shared<std::vector<std::string>>(std::vector<std::string>{"no"});
  auto* cmd = sweep.add_subcommand(
      "plan",
      "Plan a grid of training runs into DIR/sweep.json and make the token folders they share. Every other flag is a "
      "train flag (circuitscope train --help), passed to every run; a comma list (--lr 1e-3,3e-3) adds it to the grid "
      "and to the runs' names. Unset flags take the demo's quick recipe (docs/demo.md).");
  cmd->add_option("--out", q->out, "the sweep folder")->required()->type_name("DIR");
  cmd->add_option("--layers", q->layers, "depths, a comma list")
      ->delimiter(',')
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--mlp", *mlp, "no (attention only), yes (MLP blocks of 4 x d_model, gelu), or no,yes")
      ->delimiter(',')
      ->capture_default_str()
      ->check(CLI::IsMember({"no", "yes"}));
  cmd->add_option("--seeds", q->seeds, "seeds, a comma list")->delimiter(',')->capture_default_str();
  cmd->footer("Train flags follow the plan's own, e.g. --corpus FILE --steps 2000 --lr 1e-3,3e-3; --out, --n-layers, "
              "--seed, --resume and --force are the sweep's to set.");
  cmd->allow_extras();
  cmd->callback([q, mlp, cmd, &app] {
    q->mlp.clear();
    for (const std::string& m : *mlp) q->mlp.push_back(m == "yes");
    q->train_args = cmd->remaining();
    q->threads = default_threads();
    const sweep::Sweep s = sweep::create_sweep(
        *q, train_flags(app), [](const std::string& line) { std::fprintf(stderr, "sweep plan: %s\n", line.c_str()); });
    for (const sweep::Run& r : s.runs)
      std::printf("%-24s %lld steps\n", r.name.c_str(), static_cast<long long>(r.steps));
    std::printf("sweep plan: %zu runs in %s/%s; train them with `circuitscope sweep run %s`\n", s.runs.size(),
                s.root.c_str(), file_name(File::sweep_plan).c_str(), q->out.c_str());
  });
}

void add_run(CLI::App& sweep) {
  auto dir = std::make_shared<std::string>();
  auto o = std::make_shared<sweep::RunOptions>();
  auto* cmd = sweep.add_subcommand(
      "run",
      "Train every run of the sweep in DIR that has not finished, --jobs at a time, the cores shared among them; a run "
      "stopped earlier resumes exactly where it stopped. Ctrl-C (or SIGTERM) stops every run cleanly, each saving its "
      "state; running this again carries on. Each run's output goes to DIR/logs/RUN.log.");
  cmd->add_option("dir", *dir, "the sweep folder (made by sweep plan)")->required()->type_name("DIR");
  cmd->add_option("--jobs", o->jobs, "runs trained at once")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->callback([dir, o] {
    o->cores = default_threads();
    const sweep::RunOutcome r = sweep::run_sweep(*dir, *o);
    std::printf("sweep run: %d of %d runs finished", r.finished, r.total);
    if (r.interrupted) std::printf(", %d stopped with their state saved", r.interrupted);
    std::printf("\n");
    CS_CHECK(r.failures.empty(), r.failed << " of " << r.total << " runs failed: " << report::joined(r.failures, "; "));
    if (r.stopped) {
      std::printf("sweep run: stopped; `circuitscope sweep run %s` carries on\n", dir->c_str());
      throw CLI::RuntimeError(130);
    }
  });
}

void add_commands(CLI::App& sweep) {
  auto dir = std::make_shared<std::string>();
  auto threads = std::make_shared<int>(0);
  auto* cmd = sweep.add_subcommand(
      "commands",
      "Print one shell line per run of the sweep in DIR, in order, to train the runs elsewhere (a Slurm array, mpirun "
      "per run; docs/scale.md): the whole train command for a run not started, train --resume for a stopped one, a "
      "comment for a finished one. Paths are absolute.");
  cmd->add_option("dir", *dir, "the sweep folder (made by sweep plan)")->required()->type_name("DIR");
  cmd->add_option("--threads", *threads, "add --threads N to each starting run (default: train's own)")
      ->check(CLI::PositiveNumber);
  cmd->callback([dir, threads] {
    for (const std::string& line : sweep::run_commands(sweep::load_sweep(*dir), this_binary(), *threads))
      std::printf("%s\n", line.c_str());
  });
}

void add_report(CLI::App& sweep) {
  auto dir = std::make_shared<std::string>();
  auto threads = std::make_shared<int>(0);
  auto* cmd = sweep.add_subcommand(
      "report",
      "Measure every finished run of the sweep in DIR (ICL curve and phase change, head evaluators over training, "
      "induction heads ablated together) and compare them: DIR/sweep.json's results, DIR/sweep.html (opens offline), "
      "and the pictures sweep_icl, sweep_loss_slope and sweep_induction_layers (SVG, PNG, with .json and .npy).");
  cmd->add_option("dir", *dir, "the sweep folder (made by sweep plan)")->required()->type_name("DIR");
  cmd->add_option("--threads", *threads, "threads (default: every core)")->check(CLI::NonNegativeNumber);
  cmd->callback([dir, threads] {
    set_num_threads(*threads > 0 ? *threads : default_threads());
    const sweep::SweepReport r = sweep::report_sweep(
        *dir, [](const std::string& line) { std::fprintf(stderr, "sweep report: %s\n", line.c_str()); });
    std::printf("%s\n", sweep::table_text(r.table).c_str());
    for (const std::string& f : r.findings) std::printf("- %s\n", f.c_str());
    std::printf("\n%s\n", sweep::usage_sentence(r.usage).c_str());
    std::printf("\nsweep report: %zu of %zu runs measured; %s\n", r.measured, r.total, r.written.front().c_str());
  });
}

}  // namespace

void register_sweep(CLI::App& app) {
  auto* cmd = app.add_subcommand("sweep",
                                 "Train a grid of models (depths, MLP or not, seeds, any train flag) and "
                                 "compare their phase changes and induction heads (docs/sweep.md)");
  cmd->require_subcommand(1);
  add_plan(*cmd, app);
  add_run(*cmd);
  add_commands(*cmd);
  add_report(*cmd);
}

}  // namespace cs::cli
