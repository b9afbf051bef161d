#pragma once
// The fixed evaluation set (docs/corpus.md, "Training windows and the evaluation set"): each
// sequence is n_ctx + 1 consecutive tokens of one held-out document, so position i always has
// exactly i tokens of same-document context.
#include <cstdint>
#include <string>
#include <vector>

#include "data/tokens.h"

namespace cs::data {

// Where in its document a sequence starts. At a seeded random offset by default: the opening lines
// of documents (licence headers, directives) are easy to predict without context and would sit in
// the early ICL window only, biasing the score upwards (docs/icl.md, "The evaluation windows").
// Document starts are kept for comparison with runs made before.
enum class EvalWindows { random_offset, document_start };
EvalWindows parse_eval_windows(const std::string& name);  // "random" | "start"
std::string to_string(EvalWindows w);

struct EvalSet {
  int n_ctx = 0;
  std::vector<int32_t> tokens;     // [n_used, n_ctx + 1], row-major
  std::vector<int64_t> documents;  // corpus index of each row's document, ascending
  std::vector<int64_t> offsets;    // each row's first token, counted from its document's start
  int64_t n_candidates = 0;        // held-out documents long enough to fill a window
  int64_t n_held_out = 0;          // all held-out documents
  int n_used() const { return int(documents.size()); }
};

// Documents shorter than n_ctx + 1 tokens are skipped. When more than N_EVAL qualify, a seeded
// sample of N_EVAL is taken (rows stay in document order); when fewer, all are used. The sample of
// documents does not depend on WINDOWS, so both kinds of set can be compared row by row. Fewer than
// MIN_SEQUENCES qualifying documents is a cs::Error saying how many there are.
EvalSet build_eval_set(const TokenStore& store, int n_ctx, int n_eval, uint64_t seed,
                       EvalWindows windows = EvalWindows::random_offset, int min_sequences = 16);

}  // namespace cs::data
