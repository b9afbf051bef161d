#pragma once
// The training-loss side of the phase change (docs/icl.md): plotted against log tokens the loss
// curve is convex except for a small bump where in-context learning appears. This finds the
// non-convex spans of the smoothed curve and the one that overlaps the ICL phase-change window.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <vector>

#include "analysis/icl.h"

namespace cs::analysis {

struct LossCurveOptions {
  // The logged loss is per step, i.e. evenly spaced in tokens; averaging it into bins evenly
  // spaced in ln(tokens) gives every part of the log axis the same weight before smoothing.
  int64_t bins = 64;
  double sigma_bins = 2.0;  // Gaussian smoothing over ln(tokens), in units of one bin's width
  // A bin counts as non-convex when its second derivative is below -tolerance * max |d2| over
  // the curve, so rounding noise on a straight stretch is not reported as a bump.
  double tolerance = 0.02;
};

struct NonConvexSpan {
  double start_tokens = 0;  // bin centres (geometric mean of the tokens in the bin)
  double end_tokens = 0;
  double min_d2 = 0;  // most negative d2 loss / d ln(tokens)^2 inside the span
  bool overlaps_phase_change = false;
};

struct LossCurveAnalysis {
  // One value per non-empty bin, in order of tokens.
  std::vector<double> tokens;
  std::vector<double> loss;
  std::vector<double> loss_smoothed;
  std::vector<double> d_loss_d_logtokens;
  std::vector<double> d2_loss_d_logtokens2;
  std::vector<NonConvexSpan> non_convex_spans;
  std::optional<NonConvexSpan> bump;  // the deepest span overlapping the phase-change window
  LossCurveOptions options;

  nlohmann::ordered_json to_json() const;
};

// tokens and loss: the training log (points with tokens == 0 are left out; order does not
// matter). phase_change: the ICL window to compare with, if any.
LossCurveAnalysis analyze_loss_curve(std::span<const int64_t> tokens, std::span<const double> loss,
                                     const std::optional<PhaseChange>& phase_change,
                                     const LossCurveOptions& options = {});

}  // namespace cs::analysis
