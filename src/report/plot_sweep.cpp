#include "report/plot_sweep.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace cs::report {

Figure loss_slope_figure(const std::vector<NamedRun>& runs) {
  Figure f;
  f.title = "How fast the training loss falls, across runs";
  Axes a = over_tokens("d loss / d ln(tokens) of the smoothed training loss (shaded: each run's phase change)",
                       "nats per e-fold of tokens", LegendPlace::BottomRight);
  for (size_t i = 0; i < runs.size(); ++i) {
    const NamedRun& r = runs[i];
    if (!r.loss_curve) continue;
    Series s;
    s.label = r.name;
    s.color = palette(i);
    s.x = r.loss_curve->tokens;
    s.y = r.loss_curve->d_loss_d_logtokens;
    a.series.push_back(s);
    if (r.icl && r.icl->phase_change)
      a.spans.push_back(
          {double(r.icl->phase_change->start_tokens), double(r.icl->phase_change->end_tokens), "", palette(i)});
  }
  CS_CHECK(!a.series.empty(), "no run has a training-loss curve to draw");
  f.panels = {a};
  return f;
}

Heatmap induction_layers_heatmap(const InductionByLayer& heads) {
  const int64_t rows = int64_t(heads.runs.size());
  CS_CHECK(rows > 0 && heads.n_layers > 0 && int64_t(heads.counts.size()) == rows * heads.n_layers,
           "induction heads by layer: " << heads.counts.size() << " counts for " << rows << " runs of up to "
                                        << heads.n_layers << " layers");
  Heatmap h;
  h.title = "Induction heads by layer (grey: no such layer)";
  h.x_label = "layer";
  h.colorbar_label = "induction heads";
  h.rows = rows;
  h.cols = heads.n_layers;
  h.values.assign(heads.counts.begin(), heads.counts.end());
  for (int l = 0; l < heads.n_layers; ++l) {
    h.x.push_back(l);
    h.x_names.push_back(std::to_string(l));
  }
  // The first run at the top, as in the table.
  for (int64_t r = 0; r < rows; ++r) {
    h.y.push_back(double(r));
    h.y_names.push_back(heads.runs[size_t(rows - 1 - r)]);
    for (int l = 0; l < heads.n_layers; ++l)
      h.values[size_t(r * heads.n_layers + l)] = float(heads.counts[size_t((rows - 1 - r) * heads.n_layers + l)]);
  }
  // Colours from no head to the most any layer holds (at least one).
  h.vmin = 0;
  h.vmax = 1;
  for (double c : heads.counts)
    if (std::isfinite(c)) h.vmax = std::max(*h.vmax, c);
  h.height = std::max(260, 110 + 26 * int(rows));
  h.width = 700;
  return h;
}

}  // namespace cs::report
