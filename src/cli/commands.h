#pragma once
// Each subcommand lives in its own file and registers itself on the app here.
#include <CLI/CLI.hpp>

namespace cs::cli {

void register_tokenize(CLI::App& app);
void register_train(CLI::App& app);
void register_icl(CLI::App& app);
void register_circuits(CLI::App& app);
void register_demo(CLI::App& app);
void register_heads(CLI::App& app);
// The head evaluators of RUN_DIR's last snapshot (analysis/heads.json), and optionally of every
// snapshot; shared by `heads` and `demo`.
void analyse_heads(const std::string& run_dir, bool over_training, int threads);
void register_ablate(CLI::App& app);
void register_paths(CLI::App& app);
void register_probes(CLI::App& app);

}  // namespace cs::cli
