// `circuitscope serve RUN [RUN...]`: the live viewer (docs/viewer.md) on a local address.
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "cli/tables.h"
#include "core/error.h"
#include "core/gemm.h"
#include "sweep/sweep_dir.h"
#include "viewer/server.h"

namespace cs::cli {

namespace {

struct ServeArgs {
  std::vector<std::string> runs;
  viewer::ServerOptions options;
  int threads = 0;
};

// A sweep folder stands for its runs that have snapshots: the viewer's run picker then holds the
// whole grid.
std::vector<std::string> expand_sweeps(const std::vector<std::string>& folders) {
  std::vector<std::string> runs;
  for (const std::string& f : folders) {
    if (!sweep::is_sweep_folder(f)) {
      runs.push_back(f);
      continue;
    }
    const std::vector<std::string> in_sweep = sweep::runs_with_snapshots(sweep::load_sweep(f));
    CS_CHECK(!in_sweep.empty(), "the sweep in " << f << " has no run with a snapshot yet (`circuitscope sweep run "
                                                << f << "` trains them)");
    runs.insert(runs.end(), in_sweep.begin(), in_sweep.end());
  }
  return runs;
}

void run_serve(const ServeArgs& args) {
  const int threads = args.threads > 0 ? args.threads : default_threads();
  set_num_threads(threads);
  viewer::ServerOptions o = args.options;
  o.compute_threads = threads;
  viewer::Server server(expand_sweeps(args.runs), o);
  server.bind();
  std::printf("circuitscope serve: %s\n", server.url().c_str());
  for (size_t i = 0; i < server.api().n_runs(); ++i) {
    const viewer::RunView& r = server.api().run(i);
    std::printf("  run %zu: %s (%d layers x %d heads, n_ctx %d, %zu snapshots)\n", i, r.dir().root().c_str(),
                r.cfg().n_layers, r.cfg().n_heads, r.cfg().n_ctx, r.steps().size());
  }
  std::printf("Ctrl-C stops the server.\n");
  std::fflush(stdout);
  server.listen();
}

}  // namespace

void register_serve(CLI::App& app) {
  auto args = std::make_shared<ServeArgs>();
  auto* cmd = app.add_subcommand(
      "serve",
      "A live viewer in the browser (docs/viewer.md): type a text and see each token's loss, every "
      "head's attention pattern, the logit split into direct path, heads and virtual heads, each "
      "head's scores and circuits, and the ICL curve, at any snapshot; several runs side by side (a sweep "
      "folder gives all its runs, docs/sweep.md). Binds 127.0.0.1 unless --host says otherwise and prints its "
      "address.");
  cmd->add_option("runs", args->runs, "run folders, or sweep folders")->required()->type_name("RUN")->check(CLI::ExistingDirectory);
  cmd->add_option("--port", args->options.port, "port (0: any free port)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--host", args->options.host, "address to listen on")->capture_default_str();
  cmd->add_option("--read-timeout", args->options.read_timeout_seconds,
                  "seconds a client may take to send its request")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--threads", args->threads, "threads per request's computation (default: every core)")
      ->check(CLI::NonNegativeNumber);
  cmd->callback([args] { run_serve(*args); });
}

}  // namespace cs::cli
