// `circuitscope demo`: README's main job (docs/demo.md).
#include <memory>

#include "cli/commands.h"
#include "cli/tables.h"
#include "model/config.h"
#include "pipeline/demo.h"

namespace cs::cli {

void register_demo(CLI::App& app) {
  auto a = std::make_shared<pipeline::DemoOptions>();
  auto* cmd = app.add_subcommand("demo", "Train a 1-layer and a 2-layer model on the built-in corpus with Python sources mixed in and compare "
                                         "their in-context learning over training (DIR/1l, DIR/2l, DIR/summary.json)");
  cmd->add_option("--out", a->out, "Folder for the demo's runs and pictures (replaced on a re-run)")->capture_default_str();
  cmd->add_flag("--full", a->full, "The longer recipe: the same models and corpus for 35 M tokens instead of 24 M (docs/demo.md)");
  cmd->add_option("--threads", a->threads, "Threads")->capture_default_str();
  cmd->add_option("--seed", a->seed, "Seed")->capture_default_str();
  cmd->add_option("--steps", a->steps, "Override the recipe's steps per model (a smoke test uses a few)");
  cmd->add_option("--corpus", a->corpus, "Another corpus instead of the recipe's (file, folder or corpus name, docs/corpus.md)");
  cmd->add_flag("--bytes", a->bytes, "Byte-level tokens instead of the recipe's BPE");
  cmd->add_option("--d-mlp", a->d_mlp, "Give both models MLP blocks of this width (0: the attention-only pair; docs/mlp.md)")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--act-fn", a->act_fn, "The MLPs' activation: gelu | gelu_new | relu")->capture_default_str();
  cmd->add_option("--pretrained", a->pretrained,
                  "Also analyse a pair an earlier demo trained, labelled as loaded (a folder written by "
                  "scripts/ship-demo.sh, e.g. models/demo of the source tree)");
  cmd->callback([a] {
    parse_act_fn(a->act_fn);  // a misspelt activation is refused before any tokenizing or training
    pipeline::run_demo(*a, analyze_and_print);
  });
}

}  // namespace cs::cli
