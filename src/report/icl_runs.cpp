// Run-folder level ICL analysis: see icl_runs.h.
#include "report/icl_runs.h"

#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "analysis/loss_bump.h"
#include "analysis/run_inputs.h"
#include "core/error.h"
#include "io/atomic_file.h"
#include "io/npy.h"
#include "report/plot.h"
#include "report/plot_icl.h"
#include "report/icl_runs.h"

namespace cs::report {

namespace {

namespace fs = std::filesystem;


analysis::Window parse_window(const std::string& text, const char* flag) {
  std::istringstream in(text);
  analysis::Window w;
  char comma = 0;
  CS_CHECK((in >> w.first >> comma >> w.last) && comma == ',' && (in >> std::ws).eof(),
           flag << " expects FIRST,LAST (two token positions), got '" << text << "'");
  return w;
}

RunResult analyse_run(const std::string& dir, const analysis::IclOptions& options, bool linear_tokens) {
  const run::RunDir run(dir);
  RunResult r;
  r.dir = dir;
  r.name = run.name();
  r.icl = analysis::run_icl(run, options);
  r.loss = run.metrics();
  std::string curve_note;
  if (r.loss.tokens.empty()) {
    curve_note = "no training loss in " + file_name(File::metrics);
  } else {
    try {
      r.curve = analysis::analyze_loss_curve(r.loss.tokens, r.loss.loss, r.icl.phase_change);
    } catch (const Error& e) {
      curve_note = e.what();  // a short log still leaves the ICL analysis worth writing
    }
  }
  if (!curve_note.empty())
    std::fprintf(stderr, "circuitscope icl: %s: training-loss curve skipped: %s\n", dir.c_str(),
                 curve_note.c_str());

  nlohmann::ordered_json j = r.icl.to_json();
  j["loss_curve"] = r.curve ? r.curve->to_json() : nlohmann::ordered_json(nullptr);
  if (!curve_note.empty()) j["loss_curve_note"] = curve_note;
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

// Several runs from one folder (as `demo` lays them out) compare into that folder by default.
std::string comparison_dir(const IclArgs& args) {
  if (!args.out.empty()) return args.out;
  const fs::path first = fs::weakly_canonical(args.dirs[0]).parent_path();
  for (const std::string& d : args.dirs)
    CS_CHECK(fs::weakly_canonical(d).parent_path() == first,
             "the runs are in different folders; give --out PLOTDIR for the comparison plots");
  return first.string();
}

std::string format_tokens(int64_t t) { return format_si(double(t)); }

void print_table(const std::vector<RunResult>& runs) {
  size_t width = 3;
  for (const RunResult& r : runs) width = std::max(width, r.dir.size());
  std::printf("%-*s  %-20s  %s\n", int(width), "run", "final ICL (nats)", "phase change");
  for (const RunResult& r : runs) {
    const double score = r.icl.icl_score.back(), err = r.icl.icl_stderr.back();
    char icl[64];
    if (std::isfinite(err))
      std::snprintf(icl, sizeof icl, "%.3f ± %.3f", score, err);
    else
      std::snprintf(icl, sizeof icl, "%.3f", score);
    std::string phase = "none";
    if (const auto& p = r.icl.phase_change) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "%s–%s tokens (steps %lld–%lld), Δ %.3f nats",
                    format_tokens(p->start_tokens).c_str(), format_tokens(p->end_tokens).c_str(),
                    (long long)p->start_step, (long long)p->end_step, p->delta_nats);
      phase = buf;
    }
    // "±" is two bytes in UTF-8; pad by characters, not bytes.
    std::printf("%-*s  %-*s  %s\n", int(width), r.dir.c_str(),
                int(20 + (std::isfinite(err) ? 1 : 0)), icl, phase.c_str());
  }
}

// Every run's loss by token index minus the first run's, when all share n_ctx.
void write_loss_difference(const std::vector<RunResult>& runs, const std::vector<NamedRun>& named,
                           const std::string& out) {
  std::vector<RunLosses> losses;
  for (size_t i = 0; i < runs.size(); ++i) {
    if (runs[i].icl.n_ctx != runs[0].icl.n_ctx) return;
    losses.push_back({named[i].name, &runs[i].icl, runs[i].per_token});
  }
  const LossDifference d = loss_difference(losses);
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

double final_eval_loss(std::span<const float> per_token, int64_t n_ctx) {
  CS_CHECK(n_ctx > 0 && per_token.size() >= size_t(n_ctx), "no evaluated snapshot to take the final loss of");
  double sum = 0;
  for (int64_t i = 0; i < n_ctx; ++i) sum += per_token[per_token.size() - size_t(n_ctx) + size_t(i)];
  return sum / double(n_ctx);
}

std::vector<RunResult> run_icl(const IclArgs& args) {
  analysis::IclOptions options;
  if (!args.early_window.empty())
    options.early_window = parse_window(args.early_window, "--early-window");
  if (!args.late_window.empty())
    options.late_window = parse_window(args.late_window, "--late-window");
  options.sigma_snapshots = args.sigma;
  options.min_drop_nats = args.min_drop;
  options.search_from_step = args.search_from_step;

  // Refuse a missing --out before any run's work is done.
  const std::string compare_out = args.dirs.size() > 1 ? comparison_dir(args) : "";
  std::vector<RunResult> runs;
  for (const std::string& dir : args.dirs) {
    try {
      runs.push_back(analyse_run(dir, options, args.linear_tokens));
    } catch (const Error& e) {
      fail("run " + dir + ": " + e.what());
    }
  }
  print_table(runs);
  for (const RunResult& r : runs)
    std::printf("%s: %s and pictures in %s\n", r.name.c_str(), file_name(File::icl).c_str(),
                run::RunDir(r.dir).path(File::analysis_dir).c_str());
  if (runs.size() < 2) return runs;
  // Folder names label the runs, unless two are alike: then the paths as given do.
  bool unique = true;
  for (size_t i = 0; i < runs.size(); ++i)
    for (size_t k = i + 1; k < runs.size(); ++k) unique = unique && runs[i].name != runs[k].name;
  std::vector<NamedRun> named;
  for (const RunResult& r : runs)
    named.push_back({unique ? r.name : r.dir, &r.icl, r.curve ? &*r.curve : nullptr});
  const std::string picture = (fs::path(compare_out) / file_name(File::icl_comparison_picture)).string();
  save_both(icl_comparison_figure(named), picture);
  std::printf("comparison: %s.{svg,png}\n", picture.c_str());
  write_loss_difference(runs, named, compare_out);
  return runs;
}

}  // namespace cs::report
