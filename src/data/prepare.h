#pragma once
// Corpus -> tokenizer -> token folder in one call: what `circuitscope tokenize` does, and what
// `train` does when given text instead of a token folder.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "data/tokens.h"

namespace cs::data {

struct PrepareOptions {
  std::vector<std::string> corpus;  // files or folders, mixed in order; empty: the default corpus
  int d_vocab = 4096;               // BPE vocabulary (ignored with bytes)
  bool bytes = false;               // byte tokens instead of BPE
  double eval_fraction = 0.1;
  uint64_t seed = 0;
  int64_t max_sentences = 300000;   // lines sampled to train the BPE
  int threads = 0;                  // 0: all cores
};

struct PrepareResult {
  TokenizeSummary summary;
  std::string corpus_label;
  int64_t corpus_bytes = 0;
  std::string tokenizer;  // "sentencepiece" or "bytes"
  double read_seconds = 0, tokenizer_seconds = 0, total_seconds = 0;
};

// Reads the corpus, trains the tokenizer and writes OUT_DIR (tokens.h). LOG, when set, receives
// one line per stage.
PrepareResult prepare_tokens(const PrepareOptions& options, const std::string& out_dir,
                             const std::function<void(const std::string&)>& log = {});

// The same, done once for named corpora (data/gettext_corpus.h): OUT_DIR is kept when it already
// holds tokens of the same corpora, vocabulary, split and seed, and the result is then empty. A
// corpus given by path may have changed since, so it is always read again (OUT_DIR replaced).
std::optional<PrepareResult> prepare_tokens_once(const PrepareOptions& options, const std::string& out_dir,
                                                 const std::function<void(const std::string&)>& log = {});

// One line: "3338 documents (3004 training, 334 held out), 10376798 tokens, ..."
std::string summary_line(const PrepareResult& r);

}  // namespace cs::data
