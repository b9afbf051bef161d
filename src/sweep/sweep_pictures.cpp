#include "sweep/sweep_pictures.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "io/atomic_file.h"
#include "io/npy.h"
#include "sweep/sweep_dir.h"

namespace cs::sweep {

namespace {

using json = nlohmann::ordered_json;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<const RunResult*> measured(const std::vector<RunResult>& results) {
  std::vector<const RunResult*> m;
  for (const RunResult& r : results)
    if (r.measured) m.push_back(&r);
  return m;
}

std::vector<report::NamedRun> named(const std::vector<const RunResult*>& runs, bool with_loss) {
  std::vector<report::NamedRun> n;
  for (const RunResult* r : runs)
    n.push_back({r->run->name, &r->icl(), with_loss && r->curves.loss_curve ? &*r->curves.loss_curve : nullptr});
  return n;
}

// Per run, several columns of one row each ([run, row, column]), padded with NaN past a run's end.
std::vector<double> padded(const std::vector<std::vector<std::vector<double>>>& runs, size_t rows) {
  const size_t cols = runs.empty() ? 0 : runs[0].size();
  std::vector<double> out(runs.size() * rows * cols, kNaN);
  for (size_t r = 0; r < runs.size(); ++r)
    for (size_t c = 0; c < cols; ++c)
      for (size_t i = 0; i < runs[r][c].size(); ++i) out[(r * rows + i) * cols + c] = runs[r][c][i];
  return out;
}

json nan_as_null(const std::vector<double>& v) {
  json j = json::array();
  for (double x : v) j.push_back(std::isfinite(x) ? json(x) : json(nullptr));
  return j;
}

void write_icl_data(const Sweep& s, const std::vector<const RunResult*>& runs) {
  json names = json::array(), tokens = json::array(), scores = json::array(), errs = json::array(),
       windows = json::array();
  std::vector<std::vector<std::vector<double>>> columns;
  size_t rows = 0;
  for (const RunResult* r : runs) {
    const analysis::IclResult& icl = r->icl();
    names.push_back(r->run->name);
    tokens.push_back(icl.tokens);
    scores.push_back(nan_as_null(icl.icl_score));
    errs.push_back(nan_as_null(icl.icl_stderr));
    const auto& p = icl.phase_change;
    windows.push_back(p ? json{{"start_tokens", p->start_tokens}, {"end_tokens", p->end_tokens}} : json(nullptr));
    columns.push_back({{icl.tokens.begin(), icl.tokens.end()}, icl.icl_score, icl.icl_stderr});
    rows = std::max(rows, icl.tokens.size());
  }
  const std::vector<double> array = padded(columns, rows);
  io::write_npy(sweep_path(s, File::sweep_icl_array), array.data(), {int64_t(runs.size()), int64_t(rows), 3});
  const json j = {{"runs", names},
                  {"tokens", tokens},
                  {"icl_score", scores},
                  {"icl_stderr", errs},
                  {"phase_change", windows},
                  {"array", file_name(File::sweep_icl_array)},
                  {"definition",
                   "ICL score (docs/icl.md) at every snapshot of every run; the array is [run, snapshot, "
                   "(tokens, score, stderr)], NaN past a run's last snapshot"}};
  io::write_file_atomic(sweep_path(s, File::sweep_icl), j.dump(1) + "\n");
}

void write_slope_data(const Sweep& s, const std::vector<const RunResult*>& runs) {
  json names = json::array(), tokens = json::array(), slopes = json::array();
  std::vector<std::vector<std::vector<double>>> columns;
  size_t rows = 0;
  for (const RunResult* r : runs) {
    if (!r->curves.loss_curve) continue;
    const analysis::LossCurveAnalysis& c = *r->curves.loss_curve;
    names.push_back(r->run->name);
    tokens.push_back(c.tokens);
    slopes.push_back(nan_as_null(c.d_loss_d_logtokens));
    columns.push_back({c.tokens, c.d_loss_d_logtokens});
    rows = std::max(rows, c.tokens.size());
  }
  const std::vector<double> array = padded(columns, rows);
  io::write_npy(sweep_path(s, File::sweep_loss_slope_array), array.data(), {int64_t(columns.size()), int64_t(rows), 2});
  const json j = {{"runs", names},
                  {"tokens", tokens},
                  {"d_loss_d_logtokens", slopes},
                  {"array", file_name(File::sweep_loss_slope_array)},
                  {"definition",
                   "first derivative of the binned, smoothed training loss over ln(tokens) (docs/icl.md, "
                   "training-loss bump); the array is [run, bin, (tokens, slope)], NaN past a run's end"}};
  io::write_file_atomic(sweep_path(s, File::sweep_loss_slope), j.dump(1) + "\n");
}

void write_induction_data(const Sweep& s, const std::vector<const RunResult*>& runs,
                          const report::InductionByLayer& by) {
  json heads = json::array(), counts = json::array();
  for (size_t i = 0; i < runs.size(); ++i) {
    json hs = json::array();
    for (const InductionHead& h : runs[i]->induction) hs.push_back({h.layer, h.head});
    heads.push_back(hs);
    counts.push_back(
        nan_as_null({by.counts.begin() + long(i) * by.n_layers, by.counts.begin() + long(i + 1) * by.n_layers}));
  }
  io::write_npy(sweep_path(s, File::sweep_induction_array), by.counts.data(), {int64_t(runs.size()), by.n_layers});
  const json j = {{"runs", by.runs},
                  {"layers", by.n_layers},
                  {"counts", counts},
                  {"heads", heads},
                  {"array", file_name(File::sweep_induction_array)},
                  {"definition",
                   "induction heads (prefix matching at or above the threshold at the last snapshot, "
                   "docs/evaluators.md) per layer; [run, layer], null/NaN where a run has no such layer"}};
  io::write_file_atomic(sweep_path(s, File::sweep_induction), j.dump(1) + "\n");
}

}  // namespace

SweepPictures sweep_pictures(const std::vector<RunResult>& results) {
  SweepPictures p;
  const std::vector<const RunResult*> runs = measured(results);
  if (runs.empty()) {
    p.notes.push_back("no run has finished and been measured yet");
    return p;
  }
  p.icl = report::icl_comparison_figure(named(runs, false));
  if (std::any_of(runs.begin(), runs.end(), [](const RunResult* r) { return r->curves.loss_curve.has_value(); }))
    p.loss_slope = report::loss_slope_figure(named(runs, true));
  else
    p.notes.push_back("no run has a training-loss curve: " + runs[0]->curves.loss_note);
  report::InductionByLayer by;
  for (const RunResult* r : runs) by.n_layers = std::max(by.n_layers, r->run->layers);
  for (const RunResult* r : runs) {
    by.runs.push_back(r->run->name);
    for (int l = 0; l < by.n_layers; ++l) {
      const auto in_layer =
          std::count_if(r->induction.begin(), r->induction.end(), [&](const InductionHead& h) { return h.layer == l; });
      by.counts.push_back(l < r->run->layers ? double(in_layer) : kNaN);
    }
  }
  if (by.n_layers > 0) p.induction = by;
  return p;
}

std::vector<std::string> write_pictures(const Sweep& s, const std::vector<RunResult>& results, const SweepPictures& p) {
  const std::vector<const RunResult*> runs = measured(results);
  std::vector<std::string> written;
  const auto add = [&](const std::vector<std::string>& paths) {
    written.insert(written.end(), paths.begin(), paths.end());
  };
  if (p.icl) {
    add(report::save_both(*p.icl, sweep_path(s, File::sweep_icl_picture)));
    write_icl_data(s, runs);
    add({sweep_path(s, File::sweep_icl), sweep_path(s, File::sweep_icl_array)});
  }
  if (p.loss_slope) {
    add(report::save_both(*p.loss_slope, sweep_path(s, File::sweep_loss_slope_picture)));
    write_slope_data(s, runs);
    add({sweep_path(s, File::sweep_loss_slope), sweep_path(s, File::sweep_loss_slope_array)});
  }
  if (p.induction) {
    add(report::save_both(report::induction_layers_heatmap(*p.induction),
                          sweep_path(s, File::sweep_induction_picture)));
    write_induction_data(s, runs, *p.induction);
    add({sweep_path(s, File::sweep_induction), sweep_path(s, File::sweep_induction_array)});
  }
  return written;
}

}  // namespace cs::sweep
