#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>

#include "cli/commands.h"
#include "core/error.h"
#include "train/interrupts.h"

namespace {
// OpenMP threads spin at every barrier by default. When other work shares the cores (a second
// run, a build, a test suite in parallel) a spinning thread holds a core its partner needs, and a
// training step slows down several-fold. Sleeping costs microseconds per barrier, so unless the
// user chose a policy, restart once with the passive one: the runtime reads it only at start-up.
void prefer_passive_openmp(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY")) return;
  setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
  execv("/proc/self/exe", argv);  // returns only on failure: then carry on as we are
}
}  // namespace

int main(int argc, char** argv) {
  prefer_passive_openmp(argv);
  cs::take_signals_on_a_thread();
  CLI::App app{"circuitscope: train small attention-only transformers, watch in-context learning "
               "appear, and reverse-engineer the weights into circuits."};
  app.require_subcommand(1);
  cs::cli::register_demo(app);
  cs::cli::register_tokenize(app);
  cs::cli::register_train(app);
  cs::cli::register_import(app);
  cs::cli::register_eval(app);
  cs::cli::register_icl(app);
  cs::cli::register_circuits(app);
  cs::cli::register_heads(app);
  cs::cli::register_ablate(app);
  cs::cli::register_paths(app);
  cs::cli::register_probes(app);
  cs::cli::register_analyze(app);
  cs::cli::register_report(app);
  cs::cli::register_serve(app);
  cs::cli::register_sweep(app);  // after train: a sweep accepts train's flags
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const cs::Error& e) {
    std::fprintf(stderr, "circuitscope: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "circuitscope: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
