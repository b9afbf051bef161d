#pragma once
// One snapshot's circuits, built once: the weights the circuits read (LayerNorms folded in),
// the vocabulary Gram matrices, and every head's OV and QK spectrum. The head evaluators' copying
// scores, the circuits report and composition all read this one object, as TransformerLens's
// model.OV / model.QK serve every analysis, so each eigenvalue is computed once per snapshot.
#include <memory>
#include <optional>
#include <vector>

#include "analysis/circuits.h"
#include "analysis/eigen.h"

namespace cs::analysis {

class ModelCircuits {
 public:
  // Keeps a reference to PARAMS when there is nothing to fold (no normalization), so they must
  // outlive this.
  // ov_norms: also the Gram matrix of W_U, for the OV circuits' Frobenius norms.
  explicit ModelCircuits(const Params<float>& params, bool ov_norms = false);

  const Config& cfg() const { return weights().cfg; }
  // The weights every circuit is read from.
  const Params<float>& weights() const { return folded_ ? *folded_ : *raw_; }
  const VocabGrams& grams() const { return grams_; }
  // Layer-major: spectra()[layer * n_heads + head].
  const std::vector<HeadSpectrum>& spectra() const { return spectra_; }
  const HeadSpectrum& spectrum(int layer, int head) const;

  // The token-level circuits, factored (docs/circuits.md).
  FactoredMatrix OV(int layer, int head) const { return OV_circuit(weights(), layer, head); }
  FactoredMatrix QK(int layer, int head, QKPart part = QKPart::token_token) const {
    return QK_circuit(weights(), layer, head, part);
  }

  double seconds_grams = 0, seconds_spectra = 0;

 private:
  const Params<float>* raw_;
  std::optional<Params<float>> folded_;
  VocabGrams grams_;
  std::vector<HeadSpectrum> spectra_;
};

}  // namespace cs::analysis
