#pragma once
// Each subcommand lives in its own file and registers itself on the app here.
#include <CLI/CLI.hpp>
#include <string>

namespace cs::cli {

void register_tokenize(CLI::App& app);
void register_train(CLI::App& app);
void register_icl(CLI::App& app);
void register_circuits(CLI::App& app);
void register_demo(CLI::App& app);
void register_heads(CLI::App& app);
void register_ablate(CLI::App& app);
void register_paths(CLI::App& app);
void register_probes(CLI::App& app);
void register_analyze(CLI::App& app);
void register_report(CLI::App& app);
void register_serve(CLI::App& app);
void register_sweep(CLI::App& app);
void register_import(CLI::App& app);
void register_eval(CLI::App& app);

// What every analysis command takes: RUN (an existing run folder), --snapshot STEP|last (unless
// snapshot is null) and --threads (0: every core).
void add_run_options(CLI::App* cmd, std::string& run, std::string* snapshot, int& threads);

}  // namespace cs::cli
