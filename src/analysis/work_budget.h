#pragma once
// How much forward-pass work an analysis that runs the model many times may do (scores on
// evaluation text, path terms, per-head ablations), and what it gives up when a model is too large
// for that. The budgets lie far above what the small models of this project need, so their results
// do not move; on a model of GPT-2 small's size (144 heads, 50,257 tokens) they keep `analyze` under
// a minute on two cores. What an analysis gives up it says: a "limited" note in its JSON and its
// printed table (docs/evaluators.md, "Large models").
#include <cstdint>
#include <string>
#include <vector>

#include "model/activations.h"
#include "model/config.h"
#include "model/params.h"

namespace cs::analysis {

// Floating-point operations per token of one forward pass over `positions` positions: the weight
// products of every block, the attention scores and mixing, and the unembedding when `unembed`.
double forward_flops_per_token(const Config& cfg, int64_t positions, bool unembed = true);

// The default work of one analysis: about 6 s at the 250 GFLOP/s that the forward pass of a
// GPT-2-small-shaped model reaches on two cores of the benchmark machine (docs/benchmarks.md), so
// that the four analyses and the circuits of such a model take under a minute there.
inline constexpr double kAnalysisFlops = 1.5e12;

// Bytes of the cache a forward pass keeps per token over `positions` positions (every layer's
// stream, q/k/v/z, pattern row and MLP activations, and the logits), and the most an analysis
// holds at once: larger models go through the model in smaller batches.
double activation_bytes_per_token(const Config& cfg, int64_t positions);
inline constexpr double kAnalysisBytes = 2e9;

// Heads to ablate when not all of them fit: best `score` first (NaN last; ties: lower index),
// each taken while its `cost` still fits what is left of `budget`. A mask over
// layer * n_heads + head.
std::vector<bool> heads_that_fit(const std::vector<double>& score, const std::vector<double>& cost,
                                 double budget);

// Each head's result, squared and summed over the given rows of a pass's first sequence (the rows
// an analysis scores): how much it writes there, which ranks heads for ablation when not all fit.
// Layer-major.
template <class T>
std::vector<double> head_writes(const Params<T>& params, const Activations<T>& acts,
                                const std::vector<int64_t>& rows);

// "3 of 16 evaluation sequences", for the notes.
std::string count_of(int64_t used, int64_t total, const std::string& what);

}  // namespace cs::analysis
