#include <cstdio>

#include "cli/commands.h"
#include "import/import_run.h"

namespace cs::cli {

void register_import(CLI::App& app) {
  auto opts = std::make_shared<cs::hf::ImportOptions>();
  auto* cmd = app.add_subcommand(
      "import",
      "Read Hugging Face model folders (GPT2LMHeadModel, GPTNeoXForCausalLM: config.json with "
      "model.safetensors or a sharded model.safetensors.index.json, and the tokenizer) into a run "
      "folder with one snapshot per folder, ordered by step, that every analysis reads (docs/import.md)");
  cmd->add_option("dirs", opts->folders, "model folders, one per snapshot (named step<N>, or see --steps)")
      ->required()
      ->type_name("DIR")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--out", opts->out, "run folder to write")->required()->type_name("RUN");
  cmd->add_option("--steps", opts->steps, "each folder's training step, in the folders' order")
      ->delimiter(',')
      ->allow_extra_args(false)  // DIR after the list is a folder, not another step
      ->type_name("S1,S2,...");
  cmd->add_option("--tokens-per-step", opts->tokens_per_step,
                  "training tokens per step: a snapshot's tokens are step x this (Pythia's schedule by default)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--force", opts->force, "replace a run already in --out");
  cmd->callback([opts] {
    const auto rc = cs::hf::import_run(*opts, [](const std::string& line) { std::fprintf(stderr, "import: %s\n", line.c_str()); });
    std::printf("import: %s, %d layers, d_model %d -> %s (%d snapshots)\n", rc.original_architecture.c_str(),
                rc.model.n_layers, rc.model.d_model, opts->out.c_str(), rc.train.n_snapshots);
  });
}

}  // namespace cs::cli
