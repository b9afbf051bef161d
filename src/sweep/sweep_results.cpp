#include "sweep/sweep_results.h"

#include <cmath>

#include "analysis/evaluators.h"
#include "core/error.h"
#include "pipeline/analyze.h"
#include "report/findings.h"
#include "pipeline/icl_runs.h"
#include "sweep/sweep_dir.h"

namespace cs::sweep {

namespace {

using json = nlohmann::ordered_json;

// The heads of kind "induction" at the last snapshot, each with when it first crossed.
std::vector<InductionHead> induction_heads(const analysis::HeadsReport& heads,
                                           const std::optional<analysis::HeadsOverTraining>& over) {
  std::vector<InductionHead> found;
  for (const auto& [layer, head] : report::induction_heads(heads)) {
    InductionHead h{layer, head, heads.evaluation.at(heads.evaluation.prefix_matching, layer, head), std::nullopt};
    if (over)
      if (const auto s = analysis::first_crossing(*over, layer, head, heads.thresholds.induction))
        h.crossed = over->tokens_before_and_at(*s);
    found.push_back(h);
  }
  return found;
}

void measure(const Sweep& s, RunResult& r) {
  const run::RunDir dir(run_dir(s, *r.run));
  // Only what the comparison needs: the heads (over training too); circuits, path expansion, the
  // per-head ablation sweep and the probes belong to a run's own report.
  pipeline::AnalyzeOptions options;
  options.over_training = true;
  options.skip = {"circuits", "paths", "ablate", "probes"};
  const pipeline::Analyses a = pipeline::analyze(dir, options);
  r.curves = pipeline::run_curves(dir, a);
  CS_CHECK(r.curves.icl && !r.curves.per_token_loss.empty(), "no ICL curve: " << r.curves.icl_note);
  r.final_loss = pipeline::final_eval_loss(r.curves.per_token_loss, r.curves.icl->n_ctx);
  if (a.heads) {
    r.threshold = a.heads->thresholds.induction;
    r.induction = induction_heads(*a.heads, r.curves.heads_over_training);
  }
  r.measured = true;
}

json phase_json(const std::optional<analysis::PhaseChange>& p) {
  if (!p) return nullptr;
  return {{"start_tokens", p->start_tokens},
          {"end_tokens", p->end_tokens},
          {"delta_nats", p->delta_nats},
          {"steepest_tokens", p->steepest_tokens}};
}

json number_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

}  // namespace

std::optional<double> RunResult::delta_icl() const {
  if (!curves.induction_ablation) return std::nullopt;
  return curves.induction_ablation->delta_icl();
}

RunResult measure_run(const Sweep& s, const Run& run) {
  RunResult r;
  r.run = &run;
  if (run_state(s, run) != RunState::finished) {
    r.note = "not finished, " + run.status;
    return r;
  }
  try {
    measure(s, r);
  } catch (const Error& e) {
    r.note = std::string("could not be analysed: ") + e.what();
  }
  return r;
}

json to_json(const RunResult& r) {
  json j = {{"name", r.run->name}, {"measured", r.measured}};
  if (!r.measured) {
    j["note"] = r.note;
    return j;
  }
  const analysis::IclResult& icl = r.icl();
  json heads = json::array();
  for (const InductionHead& h : r.induction)
    heads.push_back({{"layer", h.layer},
                     {"head", h.head},
                     {"prefix_matching", h.prefix_matching},
                     {"crossed_after_tokens", h.crossed ? json(h.crossed->first) : json(nullptr)},
                     {"crossed_by_tokens", h.crossed ? json(h.crossed->second) : json(nullptr)}});
  j["final_loss"] = r.final_loss;
  j["final_icl_score"] = icl.icl_score.back();
  j["final_icl_stderr"] = number_or_null(icl.icl_stderr.back());
  j["phase_change"] = phase_json(icl.phase_change);
  j["induction_threshold"] = r.threshold;
  j["induction_heads"] = heads;
  j["induction_ablation"] = r.curves.induction_ablation ? r.curves.induction_ablation->to_json() : json(nullptr);
  if (!r.curves.induction_ablation_note.empty()) j["induction_ablation_note"] = r.curves.induction_ablation_note;
  return j;
}

}  // namespace cs::sweep
