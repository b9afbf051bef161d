#include "pipeline/demo_verdict.h"

#include <algorithm>
#include <cstdio>

#include "analysis/evaluators.h"
#include "core/error.h"
#include "pipeline/run_curves.h"

namespace cs::pipeline {

namespace {

// When the induction heads formed. The crossing happened between the snapshot before the first
// one over the threshold and that one: both token counts are given.
nlohmann::json induction_formation(const analysis::HeadsOverTraining& h, double threshold) {
  const auto f = analysis::first_induction_head(h, threshold);
  if (!f) return nullptr;
  const auto [after, by] = h.tokens_before_and_at(f->snapshot);
  return {{"layer", f->layer},
          {"head", f->head},
          {"prefix_matching", f->prefix_matching},
          {"threshold", threshold},
          {"after_tokens", after},
          {"by_tokens", by}};
}

// Whether the crossing interval overlaps the phase-change window.
bool formed_in_window(const nlohmann::json& formed, const nlohmann::json& phase) {
  if (formed.is_null() || phase.is_null()) return false;
  return formed.at("by_tokens").get<double>() >= phase.at("start_tokens").get<double>() &&
         formed.at("after_tokens").get<double>() <= phase.at("end_tokens").get<double>();
}

}  // namespace

ModelIcl model_icl(const analysis::IclResult& icl) {
  ModelIcl m{icl.icl_score.back(), icl.icl_stderr.back(), nullptr};
  if (icl.phase_change)
    m.phase_change = {{"start_tokens", icl.phase_change->start_tokens},
                      {"end_tokens", icl.phase_change->end_tokens},
                      {"delta_nats", icl.phase_change->delta_nats}};
  return m;
}

ModelIcl model_icl(const run::RunDir& run) {
  const LoadedIcl loaded = load_icl(run);
  CS_CHECK(loaded.icl, run.root() << ": no ICL curve (" << loaded.note << ")");
  return model_icl(*loaded.icl);
}

nlohmann::json model_json(const run::RunDir& run, const Analyses& a, const ModelIcl& icl) {
  CS_CHECK(a.heads, "the demo's verdict needs the head analysis of " << run.root());
  nlohmann::json induction = nlohmann::json::array();
  for (int l = 0; l < a.heads->n_layers(); ++l)
    for (int h = 0; h < a.heads->n_heads(); ++h) {
      const auto kinds = a.heads->kinds(l, h);
      if (std::find(kinds.begin(), kinds.end(), "induction") != kinds.end()) induction.push_back({l, h});
    }
  const double threshold = a.heads->thresholds.induction;
  const LoadedHeadsOverTraining over =
      load_heads_over_training(run, a.heads_over_training ? &*a.heads_over_training : nullptr, false);
  CS_CHECK(over.report, run.root() << ": no head scores over training (" << over.note << ")");
  const nlohmann::json formed = induction_formation(over.report->scores, threshold);
  return {{"run_dir", run.root()},
          {"n_layers", a.heads->n_layers()},
          {"final_icl_score", icl.final_score},
          {"final_icl_stderr", icl.final_stderr},
          {"phase_change", icl.phase_change},
          {"induction_heads", induction},
          {"induction_formed", formed},
          {"induction_formed_in_phase_change", formed_in_window(formed, icl.phase_change)}};
}

nlohmann::json verdict(const nlohmann::json& models) {
  const auto &m1 = models[0], &m2 = models[1];
  const double gap = m1["final_icl_score"].get<double>() - m2["final_icl_score"].get<double>();
  const bool only_2l = !m2["phase_change"].is_null() && m1["phase_change"].is_null();
  const bool in_window = m2["induction_formed_in_phase_change"].get<bool>();
  return {{"icl_gap_nats", gap},
          {"phase_change_seen_in_2l_only", only_2l},
          {"induction_formed_in_2l_phase_change", in_window},
          {"bar_met", gap >= 0.2 && only_2l && in_window}};
}

void print_verdict(const nlohmann::json& models, const nlohmann::json& v) {
  const auto& m2 = models[1];
  std::printf("2L minus 1L final ICL score: %.3f nats (the bar: -0.2 or lower); phase change: 2L %s, 1L %s\n",
              -v["icl_gap_nats"].get<double>(), m2["phase_change"].is_null() ? "no" : "yes",
              models[0]["phase_change"].is_null() ? "no" : "yes");
  if (!m2["phase_change"].is_null())
    std::printf("2L phase change: %.1f M - %.1f M tokens, %+.3f nats\n",
                m2["phase_change"]["start_tokens"].get<double>() / 1e6,
                m2["phase_change"]["end_tokens"].get<double>() / 1e6, m2["phase_change"]["delta_nats"].get<double>());
  const auto& f = m2["induction_formed"];
  if (f.is_null())
    std::printf("2L induction heads: no head after layer 0 reached the induction threshold of prefix matching\n");
  else
    std::printf("2L induction heads: head %d.%d reached prefix matching %.2f between %.1f M and %.1f M tokens%s\n",
                f["layer"].get<int>(), f["head"].get<int>(), f["prefix_matching"].get<double>(),
                f["after_tokens"].get<double>() / 1e6, f["by_tokens"].get<double>() / 1e6,
                m2["phase_change"].is_null() ? ""
                : v["induction_formed_in_2l_phase_change"].get<bool>() ? ", inside the phase-change window"
                                                                       : ", outside the phase-change window");
}

}  // namespace cs::pipeline
