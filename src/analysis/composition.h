#pragma once
// How heads of an earlier layer feed heads of a later one (docs/circuits.md): Q-, K- and
// V-composition scores with their random-matrix baseline, the K-composition (induction) QK term,
// and *Induction*'s combined QK axis weighted by previous-token scores.
#include <complex>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "analysis/circuits.h"
#include "analysis/eigen.h"
#include "analysis/factored.h"

namespace cs::analysis {

enum class CompositionKind { Q, K, V };

// ||L R||_F / (||L||_F ||R||_F), all through r x r matrices (TransformerLens's
// composition_scores); 0 when either side is zero.
double composition_score(const FactoredMatrix& left, const FactoredMatrix& right);

// Q: W_OV^{h1} W_QK^{h2};  K: W_OV^{h1} (W_QK^{h2})^T;  V: W_OV^{h1} W_OV^{h2}.
double composition_score(const HeadWeights& h1, const HeadWeights& h2, CompositionKind kind);

// Mean (and spread) of the score of random Gaussian matrices shaped like the circuits: each side
// is a product of [d_model, d_head] and [d_head, d_model] Gaussian matrices, as W_OV and W_QK are.
// For Gaussian factors the three kinds share one distribution, so one sample serves all three.
struct CompositionBaseline {
  double mean = 0, std = 0;
  int samples = 0;
  uint64_t seed = 0;
};
CompositionBaseline random_baseline(int d_model, int d_head, int samples = 64, uint64_t seed = 0);

// The K-composition induction QK term of head h2 (later layer) through head h1 (earlier):
// W_E W_Q^{h2} (W_E W_OV^{h1} W_K^{h2})^T, [d_vocab(destination), d_vocab(source)], factored as
// (W_E W_Q^{h2}) (W_K^{h2 T} W_OV^{h1 T} W_E^T). Materialises d_vocab x d_head factors: for tests
// and single queries; the batch path uses k_composition_core.
FactoredMatrix k_composition_term(const Mat& W_E, const HeadWeights& h1, const HeadWeights& h2);
// Its d_head x d_head "B A": W_K^{h2 T} W_OV^{h1 T} G_E W_Q^{h2}.
Mat k_composition_core(const HeadWeights& h1, const HeadWeights& h2, const VocabGrams& g);

// Scores of one earlier layer l1 into one later layer l2, indexed [h1][h2].
struct CompositionPair {
  int l1 = 0, l2 = 1;
  std::vector<std::vector<double>> q, k, v;
  // sum(lambda)/sum(|lambda|) of each K-composition induction QK term.
  std::vector<std::vector<double>> k_term_score;
};

// Every layer pair l1 < l2. A 1-layer model is a cs::Error ("composition needs 2+ layers").
template <class T>
std::vector<CompositionPair> composition_scores(const Params<T>& params, const VocabGrams& g);

// *Induction*'s QK axis for one later-layer head: W = sum over heads h1 of every earlier layer of
// prev(h1) * term(h1, h2). Its eigenvalues are those of
// W_K^{h2 T} (sum prev(h1) W_OV^{h1})^T G_E W_Q^{h2}.
struct InductionAxis {
  int layer = 0, head = 0;
  double trace = 0;  // real part of sum(lambda) = tr(W)
  double score = 0;  // sum(lambda) / sum(|lambda|)
  double ov_copying_score = 0;  // the head's OV copying score, from its spectrum (set by the caller)
  std::vector<std::complex<double>> eigenvalues;  // largest |lambda| first
};

// prev_token[layer * n_heads + head]: previous-token score of every head (entries of the last
// layer are unused). One axis per head of layers 1 .. n_layers-1.
template <class T>
std::vector<InductionAxis> induction_axes(const Params<T>& params, const VocabGrams& g,
                                          const std::vector<double>& prev_token);

// A weight-only stand-in for the previous-token score when no measured one is at hand: the
// attention each position pays to the one before under the position-position QK part alone
// (W_pos W_QK W_pos^T / sqrt(d_head), causal softmax), averaged over positions 1 .. n_ctx-1.
// Needs learned positions (nullopt for rotary models).
template <class T>
std::optional<std::vector<double>> positional_previous_token(const Params<T>& params);

// composition.json (docs/circuits.md): `pairs` ([l1, l2], q, k, v as [h1][h2]) and `baseline`,
// plus the K-term scores, the baseline's details, the induction axes and where the prev-token
// scores came from.
nlohmann::ordered_json composition_json(const std::vector<CompositionPair>& pairs,
                                        const CompositionBaseline& baseline,
                                        const std::vector<InductionAxis>& axes,
                                        const std::vector<double>& prev_token,
                                        const std::string& prev_token_source);

}  // namespace cs::analysis
