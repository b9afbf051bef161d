#pragma once
// Eigenvalues of every head's OV and QK circuits (docs/circuits.md) from d_head x d_head
// matrices: the non-zero eigenvalues of A B equal those of B A, so OV = (W_E W_V)(W_O W_U) has
// those of W_O (W_U W_E) W_V and QK = (W_E W_Q)(W_K^T W_E^T) those of W_K^T (W_E^T W_E) W_Q.
// Everything about the embeddings that these need is in a few d_model x d_model matrices,
// computed once.
#include <complex>
#include <vector>

#include "analysis/circuits.h"
#include "analysis/factored.h"

namespace cs::analysis {

// Sums over the vocabulary (and positions), each d_model x d_model, in double.
struct VocabGrams {
  Mat G_E;    // W_E^T W_E
  Mat C;      // W_U W_E: closes the OV circuit into a loop, for its eigenvalues
  Mat G_U;    // W_U W_U^T (empty unless asked for): for OV Frobenius norms
  Mat G_pos;  // W_pos^T W_pos (empty for rotary models)
};

// GEMMs over the vocabulary in the weights' own precision (cs::gemm<T>); G_E and G_U are
// symmetric, so only their upper blocks are computed.
template <class T>
VocabGrams vocab_grams(const Params<T>& params, bool with_unembed_gram = false);

struct HeadSpectrum {
  int layer = 0, head = 0;
  // d_head eigenvalues each, largest |lambda| first.
  std::vector<std::complex<double>> ov_eigenvalues, qk_eigenvalues;
  double ov_copying_score = 0;  // sum(lambda) / sum(|lambda|) of OV
  double qk_copying_score = 0;  // the same for the token QK circuit
  double ov_norm = 0;           // ||W_E W_OV W_U||_F; NaN without G_U
  // ||part||_F for every QK part the config has (qk_parts), in that order.
  std::vector<double> qk_part_norms;
};

// The token circuits closed into loops over the residual stream, as factored matrices whose
// eigenvalues are the circuits' non-zero ones: OV = (W_E W_V)(W_O W_U) has those of
// (W_V)(W_O W_U W_E), and QK = (W_E W_Q)(W_K^T W_E^T) those of (W_Q)(W_K^T W_E^T W_E). Both are
// d_model x d_model of rank d_head, so FactoredMatrix::eigenvalues works on d_head x d_head.
FactoredMatrix OV_loop(const HeadWeights& w, const VocabGrams& g);  // W_V (W_O C)
FactoredMatrix QK_loop(const HeadWeights& w, const VocabGrams& g);  // W_Q (W_K^T G_E)

HeadSpectrum head_spectrum(const Config& cfg, const HeadWeights& w, const VocabGrams& g, int layer,
                           int head);

// Every head, layer-major; heads in parallel.
template <class T>
std::vector<HeadSpectrum> all_head_spectra(const Params<T>& params, const VocabGrams& g);

}  // namespace cs::analysis
