#include "analysis/model_circuits.h"

#include <chrono>

namespace cs::analysis {

namespace {
using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }
}  // namespace

ModelCircuits::ModelCircuits(const Params<float>& params, bool ov_norms) : raw_(&params) {
  // Only a normalized model has anything to fold or centre; skip the copy otherwise (a
  // 48k-vocabulary model is ~200 MB).
  if (params.cfg.normalized()) folded_.emplace(fold_layer_norm(params));
  auto t0 = Clock::now();
  grams_ = vocab_grams(weights(), ov_norms);
  seconds_grams = since(t0);
  t0 = Clock::now();
  spectra_ = all_head_spectra(weights(), grams_);
  seconds_spectra = since(t0);
}

const HeadSpectrum& ModelCircuits::spectrum(int layer, int head) const {
  check_head(cfg(), layer, head);
  return spectra_[size_t(layer * cfg().n_heads + head)];
}

}  // namespace cs::analysis
