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

// The run's logged training loss; an absent metrics.jsonl gives an empty log. A last line without
// its newline may be a line the trainer is still writing, so it is skipped if it does not parse.
LossLog read_metrics(const std::string& path) {
  LossLog log;
  if (!fs::exists(path)) return log;
  const std::string text = io::read_file(path);
  size_t pos = 0;
  for (int line_no = 1; pos < text.size(); ++line_no) {
    const size_t end = text.find('\n', pos);
    const bool complete = end != std::string::npos;
    const std::string line = text.substr(pos, complete ? end - pos : std::string::npos);
    pos = complete ? end + 1 : text.size();
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() && !complete) break;
    CS_CHECK(j.is_object(), path << " line " << line_no << " is not a JSON object");
    if (!j.contains("loss")) continue;  // other kinds of records
    CS_CHECK(j["loss"].is_number() && j.contains("tokens") && j["tokens"].is_number_integer(),
             path << " line " << line_no << " needs a numeric 'loss' and an integer 'tokens'");
    log.tokens.push_back(j["tokens"].get<int64_t>());
    log.loss.push_back(j["loss"].get<double>());
  }
  return log;
}

struct Snapshots {
  std::vector<int64_t> steps, tokens;
};

Snapshots read_snapshots(const std::string& path) {
  const nlohmann::json j = nlohmann::json::parse(io::read_file(path), nullptr, false);
  CS_CHECK(j.is_object(), path << " is not a JSON object");
  Snapshots s;
  for (const char* key : {"steps", "tokens"}) {
    CS_CHECK(j.contains(key) && j[key].is_array(), path << " has no '" << key << "' list");
    for (const auto& v : j[key]) {
      CS_CHECK(v.is_number_integer(), path << ": '" << key << "' holds a non-integer " << v.dump());
      (std::string(key) == "steps" ? s.steps : s.tokens).push_back(v.get<int64_t>());
    }
  }
  CS_CHECK(s.steps.size() == s.tokens.size(), path << " lists " << s.steps.size() << " steps but "
                                                   << s.tokens.size() << " token counts");
  return s;
}


std::string run_name(const std::string& dir) {
  fs::path p = fs::path(dir).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  return p.filename().empty() ? dir : p.filename().string();
}

// The run's learning-rate warm-up in steps, or 0 when its config.json is missing or unreadable (a
// bare folder of evaluation files).
int64_t warmup_steps(const std::string& dir) {
  const fs::path path = fs::path(dir) / "config.json";
  if (!fs::exists(path)) return 0;
  const nlohmann::json j = nlohmann::json::parse(io::read_file(path.string()), nullptr, false);
  if (!j.is_object() || !j.contains("train") || !j["train"].is_object()) return 0;
  const nlohmann::json& w = j["train"].value("warmup_steps", nlohmann::json());
  return w.is_number_integer() ? w.get<int64_t>() : 0;
}

RunResult analyse_run(const std::string& dir, analysis::IclOptions options, bool linear_tokens) {
  RunResult r;
  r.dir = dir;
  r.name = run_name(dir);
  const fs::path root(dir);
  const std::string npy_path = (root / "eval" / "per_sequence_loss.npy").string();
  const std::string snapshots_path = (root / "eval" / "snapshots.json").string();
  const io::NpyArray npy = io::read_npy(npy_path);
  CS_CHECK(npy.shape.size() == 3, npy_path << " must be [n_snapshots, n_eval, n_ctx], got "
                                           << npy.shape.size() << " dimensions");
  const Snapshots snaps = read_snapshots(snapshots_path);
  CS_CHECK(int64_t(snaps.steps.size()) == npy.shape[0],
           npy_path << " holds " << npy.shape[0] << " snapshots but " << snapshots_path << " lists "
                    << snaps.steps.size());
  const std::vector<float> loss = npy.to_float();
  const int64_t n_snap = npy.shape[0], n_eval = npy.shape[1], n_ctx = npy.shape[2];
  if (options.search_from_step < 0) options.search_from_step = warmup_steps(dir);
  r.icl = analysis::compute_icl(loss, n_snap, n_eval, n_ctx, snaps.steps, snaps.tokens, options);

  r.loss = read_metrics((root / "metrics.jsonl").string());
  std::string curve_note;
  if (r.loss.tokens.empty()) {
    curve_note = "no training loss in metrics.jsonl";
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

  const std::string out = (root / "analysis").string();
  nlohmann::ordered_json j = r.icl.to_json();
  j["loss_curve"] = r.curve ? r.curve->to_json() : nlohmann::ordered_json(nullptr);
  if (!curve_note.empty()) j["loss_curve_note"] = curve_note;
  j["inputs"] = {{"per_sequence_loss", "eval/per_sequence_loss.npy"},
                 {"snapshots", "eval/snapshots.json"},
                 {"training_loss", "metrics.jsonl"}};
  io::write_file_atomic((fs::path(out) / "icl.json").string(), j.dump(2) + "\n");
  io::write_npy((fs::path(out) / "icl_score.npy").string(), r.icl.icl_score.data(),
                {int64_t(r.icl.icl_score.size())});

  const std::vector<float> per_token = analysis::mean_over_sequences(loss, n_snap, n_eval, n_ctx);
  save_both(icl_heatmap(r.icl, per_token, !linear_tokens), out, "icl_heatmap");
  save_both(icl_relative_heatmap(r.icl, per_token, !linear_tokens), out,
                    "icl_heatmap_relative");
  save_both(icl_score_figure(r.icl), out, "icl_score");
  save_both(icl_derivatives_figure(r.icl), out, "icl_derivatives");
  if (r.curve)
    save_both(loss_curve_figure(r.loss, *r.curve, r.icl.phase_change), out,
                      "loss_curve");
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

}  // namespace

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
    std::printf("%s: analysis/icl.json and pictures in %s\n", r.name.c_str(),
                (fs::path(r.dir) / "analysis").string().c_str());
  if (runs.size() < 2) return runs;
  // Folder names label the runs, unless two are alike: then the paths as given do.
  bool unique = true;
  for (size_t i = 0; i < runs.size(); ++i)
    for (size_t k = i + 1; k < runs.size(); ++k) unique = unique && runs[i].name != runs[k].name;
  std::vector<NamedRun> named;
  for (const RunResult& r : runs)
    named.push_back({unique ? r.name : r.dir, &r.icl, r.curve ? &*r.curve : nullptr});
  save_both(icl_comparison_figure(named), compare_out, "icl_comparison");
  std::printf("comparison: %s\n",
              (fs::path(compare_out) / "icl_comparison.{svg,png}").string().c_str());
  return runs;
}

}  // namespace cs::report
