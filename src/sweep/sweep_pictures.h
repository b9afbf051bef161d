#pragma once
// The sweep's three pictures, each beside the numbers it draws: every run's ICL score over
// training with its phase-change window (sweep_icl), every run's d loss / d ln(tokens)
// (sweep_loss_slope), and where each run's induction heads sit by layer (sweep_induction_layers).
// Built once, then written as SVG, PNG, .json and .npy into the sweep folder and drawn into its page.
#include <optional>
#include <string>
#include <vector>

#include "report/plot.h"
#include "report/plot_sweep.h"
#include "sweep/sweep_results.h"

namespace cs::sweep {

struct SweepPictures {
  std::optional<report::Figure> icl, loss_slope;
  std::optional<report::InductionByLayer> induction;
  std::vector<std::string> notes;  // why a picture is missing
};

// From the measured runs.
SweepPictures sweep_pictures(const std::vector<RunResult>& results);

// Writes each picture and its data into the sweep folder; returns the files written.
std::vector<std::string> write_pictures(const Sweep& sweep, const std::vector<RunResult>& results,
                                        const SweepPictures& pictures);

}  // namespace cs::sweep
