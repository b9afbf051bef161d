#pragma once
// The fixed evaluation set (docs/corpus.md): each sequence is the first n_ctx + 1 tokens of one
// held-out document (starting at its BOS), so position i always means "i tokens into a document".
#include <cstdint>
#include <vector>

#include "data/tokens.h"

namespace cs::data {

struct EvalSet {
  int n_ctx = 0;
  std::vector<int32_t> tokens;     // [n_used, n_ctx + 1], row-major
  std::vector<int64_t> documents;  // corpus index of each row's document, ascending
  int64_t n_candidates = 0;        // held-out documents long enough to fill a window
  int64_t n_held_out = 0;          // all held-out documents
  int n_used() const { return int(documents.size()); }
};

// Documents shorter than n_ctx + 1 tokens are skipped. When more than N_EVAL qualify, a seeded
// sample of N_EVAL is taken (rows stay in document order); when fewer, all are used. Fewer than
// MIN_SEQUENCES qualifying documents is a cs::Error saying how many there are.
EvalSet build_eval_set(const TokenStore& store, int n_ctx, int n_eval, uint64_t seed,
                       int min_sequences = 16);

// The same, as the flat token array; *n_used receives the number of rows.
std::vector<int32_t> build_eval_set(const TokenStore& store, int n_ctx, int n_eval, uint64_t seed,
                                    int* n_used);

}  // namespace cs::data
