#pragma once
// The pictures of the circuit analysis (docs/circuits.md) that line plots and heatmaps cannot draw:
// eigenvalues on a radial plot with a log radius (one small panel per head), a histogram of
// copying scores over heads, and a labelled scatter (OV copying score against the induction QK
// score). Built on the plot module's canvas and axes (report/plot_canvas.h).
#include <complex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "analysis/circuits_report.h"
#include "report/plot.h"

namespace cs::report {

// One panel: the eigenvalues of one head's circuit. Angle = arg(lambda); radius =
// log10(|lambda| / (max|lambda| / 1000)) / 3, clipped at 0: the outer ring is the panel's largest
// |lambda|, the middle rings 10x and 100x smaller, and anything 1000x smaller sits at the centre.
// Points on the positive real axis (copying) are green, on the negative one red, others blue.
struct RadialPanel {
  std::string title;     // e.g. "0.3"
  std::string subtitle;  // e.g. "score +0.87"
  std::vector<std::complex<double>> eigenvalues;
};

struct RadialGrid {
  std::string title;
  int columns = 8;
  int cell = 170;  // pixels per panel, square
  std::vector<RadialPanel> panels;
};

// Counts of `values` in `bins` equal bins over [lo, hi] (values outside are clipped into the end
// bins).
struct Histogram {
  std::string title, x_label, y_label = "heads";
  std::vector<double> values;
  double lo = -1, hi = 1;
  int bins = 20;
  int width = 700, height = 420;
};

struct ScatterPlot {
  std::string title, x_label, y_label;
  std::vector<double> x, y;
  std::vector<std::string> labels;  // drawn beside each point; empty or one per point
  std::optional<std::pair<double, double>> x_range, y_range;
  bool zero_lines = true;  // dashed lines at x = 0 and y = 0 mark the quadrants
  int width = 640, height = 560;
};

// How many values fall in each bin (the numbers the histogram draws).
std::vector<int> histogram_counts(const Histogram& h);

std::string render(const RadialGrid& grid, Format format);
std::string render(const Histogram& histogram, Format format);
std::string render(const ScatterPlot& scatter, Format format);


// The circuit analysis's pictures.
// OV or QK eigenvalues of every head, one panel each, titled "layer.head" with its copying score.
RadialGrid eigenvalue_grid(const std::vector<analysis::HeadSpectrum>& spectra, bool ov);
// Histogram of the OV copying score over heads.
Histogram copying_histogram(const std::vector<analysis::HeadSpectrum>& spectra);
// Per later-layer head: OV copying score (x) against the induction QK score (y).
ScatterPlot induction_scatter(const std::vector<analysis::InductionAxis>& axes);

// ov_eigenvalues, qk_eigenvalues, copying_scores and (with induction axes) induction_scatter, as
// .svg and .png into the run's analysis folder, next to the .npy arrays of
// analysis::write_circuit_arrays. Returns the pictures written.
std::vector<File> save_circuit_pictures(const analysis::CircuitsAnalysis& a, const run::RunDir& run);

}  // namespace cs::report
