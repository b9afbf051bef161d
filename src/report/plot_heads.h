#pragma once
// Pictures of the head analyses over training (docs/evaluators.md), on the ICL curve's log-token
// axis: every head's prefix-matching and previous-token score under the ICL score (the talk's
// "induction heads form at the same point in time"), and every head's ΔICL under ablation,
// coloured by its prefix-matching score.
#include <optional>
#include <vector>

#include "analysis/ablation.h"
#include "analysis/evaluators.h"
#include "analysis/icl.h"
#include "report/plot.h"

namespace cs::report {

// Heads scoring at least `highlight` (prefix matching, or previous token in its panel) at the
// last snapshot get a colour and a legend entry; the rest are thin grey lines.
Figure heads_over_training_figure(const analysis::HeadsOverTraining& heads,
                                  const analysis::IclResult* icl, double induction_threshold,
                                  double previous_token_threshold);

// tokens: one per snapshot of the sweep. prefix_matching [L * H]: the colour of each head's line
// (light grey at 0, red at 1); empty: palette colours.
Figure ablation_over_training_figure(const analysis::IclAblationSweep& sweep,
                                     const std::vector<int64_t>& tokens,
                                     const std::vector<double>& prefix_matching);

// One snapshot: ΔICL as a [layer x head] grid.
Heatmap ablation_heatmap(const analysis::HeadAblationIcl& result, int64_t step);

}  // namespace cs::report
