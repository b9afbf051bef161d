#pragma once
// Pictures of many runs side by side (`sweep report`, docs/sweep.md), beside
// icl_comparison_figure's ICL scores: how fast each run's training loss falls per e-fold of
// tokens, and in which layers each run's induction heads sit.
#include <string>
#include <vector>

#include "report/plot.h"
#include "report/plot_icl.h"

namespace cs::report {

// d loss / d ln(tokens) of the smoothed training loss of every run that has a loss curve, on one
// log-token axis, each run's phase-change window shaded in its colour: how fast each run's loss
// falls, inside its window and outside.
Figure loss_slope_figure(const std::vector<NamedRun>& runs);

// Induction heads per layer of each run: counts [runs, layers], NaN where a run has no such layer.
struct InductionByLayer {
  std::vector<std::string> runs;
  int n_layers = 0;  // the deepest run's
  std::vector<double> counts;
};
Heatmap induction_layers_heatmap(const InductionByLayer& heads);

}  // namespace cs::report
