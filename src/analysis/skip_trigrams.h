#pragma once
// Skip-trigrams "a ... d -> b" (docs/circuits.md): for a bounded set of source tokens a and every
// head, the destinations d that most want to attend to a (top of the QK column QK[:, a]) and the
// outputs b that attending to a raises most (top of the OV row OV[a, :]); plus the direct path's
// top next tokens W_E[a] W_U. One blocked pass over the vocabulary computes those columns and rows
// for all sources and heads at once (a few thousand vocabulary entries at a time, in the weights'
// precision); no d_vocab x d_vocab matrix is ever formed.
//
// Combined strength (choice): each QK column and OV row is z-scored over the vocabulary, and a
// triple's strength is z_QK(d) * z_OV(b), counted only when both are positive. Softmax-free and
// scale-free, so it compares heads and sources on one scale; the mean and spread are summed in
// the same pass.
#include <cstdint>
#include <vector>

#include "analysis/factored.h"
#include "model/params.h"

namespace cs::analysis {

struct SkipTrigramOptions {
  int64_t top_k = 10;     // destinations and outputs kept per (head, source)
  int64_t per_head = 50;  // ranked triples kept per head
  int64_t chunk = 2048;   // vocabulary entries per block of the pass
};

// The mean and (population) standard deviation of one row or column over the vocabulary.
struct Moments {
  double mean = 0, std = 0;
};

// One source token through one head.
struct SourceCircuit {
  int64_t source = 0;
  std::vector<Entry> destinations;  // top of QK[:, source], largest first
  std::vector<Entry> outputs;       // top of OV[source, :], largest first
  Moments qk, ov;
};

struct SkipTrigram {
  int64_t source = 0, destination = 0, output = 0;
  double qk = 0, ov = 0;      // the raw circuit entries QK[d, a], OV[a, b]
  double qk_z = 0, ov_z = 0;  // z-scored over the vocabulary
  double strength = 0;        // qk_z * ov_z
};

struct HeadSkipTrigrams {
  int layer = 0, head = 0;
  std::vector<SourceCircuit> sources;  // in the order of the sources given
  std::vector<SkipTrigram> ranked;     // strongest first, at most per_head
};

struct SkipTrigramResult {
  std::vector<int64_t> sources;
  std::vector<HeadSkipTrigrams> heads;  // layer-major
  // Direct path: per source, the top next tokens of W_E[a] W_U and that row's moments.
  std::vector<std::vector<Entry>> bigrams;
  std::vector<Moments> bigram_moments;
};

// Sources must be distinct ids in the vocabulary. Runs on cs::num_threads() threads for float
// weights (double weights, for tests, on one: OpenBLAS must not be entered concurrently).
template <class T>
SkipTrigramResult skip_trigrams(const Params<T>& params, const std::vector<int64_t>& sources,
                                const SkipTrigramOptions& options = {});

// The n most frequent token ids by count (ties: lower id first), leaving out `exclude` (BOS) and
// tokens never seen.
std::vector<int64_t> most_frequent_tokens(const std::vector<int64_t>& counts, int64_t n,
                                          int64_t exclude = -1);

}  // namespace cs::analysis
