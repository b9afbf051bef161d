// Run-folder level ICL analysis: see icl_runs.h.
#include "pipeline/icl_runs.h"

#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "analysis/loss_bump.h"
#include "analysis/run_inputs.h"
#include "core/error.h"
#include "io/atomic_file.h"
#include "io/npy.h"
#include "report/plot.h"
#include "report/plot_icl.h"
#include "pipeline/icl_runs.h"

namespace cs::pipeline {

namespace {

namespace fs = std::filesystem;
using report::icl_derivatives_figure;
using report::icl_heatmap;
using report::icl_relative_heatmap;
using report::icl_score_figure;
using report::loss_by_position_figure;
using report::loss_curve_figure;
using report::loss_difference_figure;
using report::loss_pca_figure;
using report::NamedRun;
using report::save_both;

// The run's ICL analysis with the run's ICL settings, and its files.
IclRun analyse_run(const std::string& dir, bool linear_tokens) {
  const run::RunDir run(dir);
  IclRun r;
  r.dir = dir;
  r.name = run.name();
  r.icl = analysis::run_icl(run);
  r.loss = run.metrics();
  if (r.loss.tokens.empty()) {
    r.curve_note = "no training loss in " + file_name(File::metrics);
  } else {
    try {
      r.curve = analysis::analyze_loss_curve(r.loss.tokens, r.loss.loss, r.icl.phase_change);
    } catch (const Error& e) {
      r.curve_note = e.what();  // a short log still leaves the ICL analysis worth writing
    }
  }
  nlohmann::ordered_json j = r.icl.to_json();
  j["loss_curve"] = r.curve ? r.curve->to_json() : nlohmann::ordered_json(nullptr);
  if (!r.curve_note.empty()) j["loss_curve_note"] = r.curve_note;
  j["inputs"] = {{"per_sequence_loss", file_name(File::per_sequence_loss)},
                 {"snapshots", file_name(File::eval_snapshots)},
                 {"training_loss", file_name(File::metrics)}};
  const run::EvalLosses eval = run.eval_losses();
  r.per_token = eval.per_token();
  const std::vector<float>& per_token = r.per_token;
  std::optional<analysis::LossPca> pca;
  if (r.icl.tokens.size() >= 3) {
    pca = analysis::loss_pca(eval.per_sequence, eval.n_snapshots(), eval.n_eval * eval.n_ctx);
    j["loss_pca"] = {{"explained_variance_ratio", pca->explained}, {"projection", file_name(File::loss_pca)}};
  }
  run.write_json(File::icl, j);
  run.write_npy(File::icl_score, r.icl.icl_score, {int64_t(r.icl.icl_score.size())});

  save_both(icl_heatmap(r.icl, per_token, !linear_tokens), run.path(File::icl_heatmap_picture));
  save_both(icl_relative_heatmap(r.icl, per_token, !linear_tokens), run.path(File::icl_heatmap_relative_picture));
  save_both(loss_by_position_figure(r.icl, per_token), run.path(File::loss_by_position_picture));
  if (pca) {
    run.write_npy(File::loss_pca, pca->projection, {pca->n_snapshots, 2});
    save_both(loss_pca_figure(r.icl, *pca), run.path(File::loss_pca_picture));
  }
  save_both(icl_score_figure(r.icl), run.path(File::icl_score_picture));
  save_both(icl_derivatives_figure(r.icl), run.path(File::icl_derivatives_picture));
  if (r.curve)
    save_both(loss_curve_figure(r.loss, *r.curve, r.icl.phase_change), run.path(File::loss_curve_picture));
  return r;
}

// Every run's loss by token index minus the first run's, when all share n_ctx.
void write_loss_difference(const std::vector<IclRun>& runs, const std::vector<NamedRun>& named,
                           const std::string& out) {
  std::vector<report::RunLosses> losses;
  for (size_t i = 0; i < runs.size(); ++i) {
    if (runs[i].icl.n_ctx != runs[0].icl.n_ctx) return;
    losses.push_back({named[i].name, &runs[i].icl, runs[i].per_token});
  }
  const report::LossDifference d = report::loss_difference(losses);
  const auto path = [&](File f) { return (fs::path(out) / file_name(f)).string(); };
  io::write_npy(path(File::loss_difference_array), d.values.data(),
                {int64_t(d.names.size()), int64_t(d.tokens.size()), d.n_ctx});
  const nlohmann::json j = {{"reference", d.reference}, {"runs", d.names}, {"tokens", d.tokens},
                            {"final_only", d.final_only}, {"values", file_name(File::loss_difference_array)},
                            {"definition", "per-token loss (mean over evaluation sequences) of each run minus the "
                                           "reference's, at training points both have; [run, point, token index]"}};
  io::write_file_atomic(path(File::loss_difference), j.dump(1));
  save_both(loss_difference_figure(d), path(File::loss_difference_picture));
}

}  // namespace

std::string comparison_dir(const std::vector<std::string>& dirs, const std::string& out) {
  if (!out.empty()) return out;
  const fs::path first = fs::weakly_canonical(dirs[0]).parent_path();
  for (const std::string& d : dirs)
    CS_CHECK(fs::weakly_canonical(d).parent_path() == first,
             "the runs are in different folders; give --out PLOTDIR for the comparison plots");
  return first.string();
}

double final_eval_loss(std::span<const float> per_token, int64_t n_ctx) {
  CS_CHECK(n_ctx > 0 && per_token.size() >= size_t(n_ctx), "no evaluated snapshot to take the final loss of");
  double sum = 0;
  for (int64_t i = 0; i < n_ctx; ++i) sum += per_token[per_token.size() - size_t(n_ctx) + size_t(i)];
  return sum / double(n_ctx);
}

IclRun icl(const std::string& dir, bool linear_tokens) {
  try {
    return analyse_run(dir, linear_tokens);
  } catch (const Error& e) {
    fail("run " + dir + ": " + e.what());
  }
}

std::string compare_icl(const std::vector<IclRun>& runs, const std::string& out) {
  // Folder names label the runs, unless two are alike: then the paths as given do.
  bool unique = true;
  for (size_t i = 0; i < runs.size(); ++i)
    for (size_t k = i + 1; k < runs.size(); ++k) unique = unique && runs[i].name != runs[k].name;
  std::vector<NamedRun> named;
  for (const IclRun& r : runs)
    named.push_back({unique ? r.name : r.dir, &r.icl, r.curve ? &*r.curve : nullptr});
  const std::string picture = (fs::path(out) / file_name(File::icl_comparison_picture)).string();
  save_both(report::icl_comparison_figure(named), picture);
  write_loss_difference(runs, named, out);
  return picture;
}

}  // namespace cs::pipeline
