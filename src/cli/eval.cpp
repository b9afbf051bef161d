#include <cstdio>

#include "cli/commands.h"
#include "cli/tables.h"
#include "core/gemm.h"
#include "train/eval_run.h"

namespace cs::cli {

namespace {

struct EvalArgs {
  std::string run;
  EvalRunOptions options;
  int threads = 0;
};

}  // namespace

void register_eval(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  auto* cmd = app.add_subcommand(
      "eval",
      "Give a run without an evaluation set (one made by 'import') tokens/ and eval/ from a corpus "
      "tokenized with the run's tokenizer, and every snapshot's per-token loss on it, so icl, heads, "
      "circuits, paths and ablate read it (docs/import.md)");
  add_run_options(cmd, args->run, nullptr, args->threads);
  cmd->add_option("--corpus", args->options.corpus,
                  "text corpus: a folder (each file one document), a UTF-8 file (documents separated by "
                  "form-feed lines), 'builtin:' or 'gettext:LANG' (docs/corpus.md)")
      ->required();
  cmd->add_option("--n-ctx", args->options.n_ctx, "evaluation window length (default: the model's n_ctx)")
      ->check(CLI::Range(2, 1 << 20));
  cmd->add_option("--n-eval", args->options.n_eval, "evaluation sequences")->capture_default_str()->check(CLI::Range(16, 1 << 20));
  cmd->add_option("--eval-fraction", args->options.eval_fraction,
                  "fraction of documents held out for the evaluation set; token counts come from the rest")
      ->capture_default_str();
  cmd->add_option("--seed", args->options.seed, "seed of the document split and of the windows")->capture_default_str();
  cmd->callback([args] {
    set_num_threads(args->threads > 0 ? args->threads : default_threads());
    evaluate_run(run::RunDir(args->run), args->options,
                 [](const std::string& line) { std::fprintf(stderr, "eval: %s\n", line.c_str()); });
    std::printf("eval: %s evaluated -> %s/eval\n", args->run.c_str(), args->run.c_str());
  });
}

}  // namespace cs::cli
