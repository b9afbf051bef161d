#include <cstdio>
#include <filesystem>

#include "cli/commands.h"
#include "core/error.h"
#include "core/files.h"
#include "data/prepare.h"

namespace cs::cli {

namespace {

struct TokenizeArgs {
  cs::data::PrepareOptions prepare;
  std::string out;
  bool force = false;
};

void run_tokenize(const TokenizeArgs& a) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const bool has_tokens =
      fs::exists(a.out + "/" + file_name(File::token_meta), ec) || fs::exists(a.out + "/" + file_name(File::token_stream), ec);
  CS_CHECK(!has_tokens || a.force,
           a.out << " already holds tokens; pass --force to replace them");
  const auto r = cs::data::prepare_tokens(a.prepare, a.out, [](const std::string& line) {
    std::fprintf(stderr, "tokenize: %s\n", line.c_str());
  });
  std::printf("tokenize: %s -> %s\n", cs::data::summary_line(r).c_str(), a.out.c_str());
}

}  // namespace

void register_tokenize(CLI::App& app) {
  auto args = std::make_shared<TokenizeArgs>();
  auto* cmd = app.add_subcommand(
      "tokenize",
      "Train a tokenizer on a corpus and write the packed token folder that 'train' reads");
  cmd->add_option("--corpus", args->prepare.corpus,
                  "Text corpus: a folder (each file one document) or a UTF-8 file (documents "
                  "separated by lines holding only a form feed), 'builtin:' (the built-in corpus) or "
                  "'gettext:LANG' (English/LANG message pairs of the installed gettext catalogues); "
                  "repeat to mix several. Default: the built-in corpus (docs/corpus.md)");
  cmd->add_option("--out", args->out, "Folder to write tokens.bin, tokens.json and the tokenizer into")
      ->required();
  auto* vocab = cmd->add_option("--d-vocab", args->prepare.d_vocab,
                                "BPE vocabulary size, counting <unk>, <bos> and 256 byte tokens")
                    ->capture_default_str()
                    ->check(CLI::Range(300, 1 << 20));
  cmd->add_flag("--bytes", args->prepare.bytes,
                "Use byte tokens (d_vocab 257, BOS = 256) instead of training a BPE")
      ->excludes(vocab);
  cmd->add_option("--eval-fraction", args->prepare.eval_fraction,
                  "Fraction of documents held out for evaluation, split by document")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 0.99));
  cmd->add_option("--seed", args->prepare.seed, "Seed for the document split and the tokenizer's line sample")
      ->capture_default_str();
  cmd->add_option("--max-sentences", args->prepare.max_sentences,
                  "Lines sampled from the corpus to train the BPE (bounds its time)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--threads", args->prepare.threads, "Threads (0: all cores)")->capture_default_str();
  cmd->add_flag("--force", args->force, "Replace tokens already in --out");
  cmd->callback([args] { run_tokenize(*args); });
}

}  // namespace cs::cli
