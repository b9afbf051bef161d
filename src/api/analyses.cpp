// The analyses of the public API: the pipeline's entries (the ones every front end calls), their
// results copied into the public structs, with the JSON the command line writes.
#include "api/impl.h"

#include <optional>

#include "analysis/ablation_report.h"
#include "analysis/circuits_report.h"
#include "analysis/heads_report.h"
#include "analysis/run_inputs.h"
#include "core/error.h"
#include "pipeline/analyses.h"

namespace circuitscope {

namespace {

// The snapshot first, as the command line stamps circuits.json and composition.json.
nlohmann::ordered_json stamped(const cs::run::SnapshotInfo& info, const nlohmann::ordered_json& body) {
  nlohmann::ordered_json j{{"snapshot_step", info.step}, {"snapshot_tokens", info.tokens}, {"run_id", info.run_id}};
  j.update(body);
  return j;
}

std::vector<HeadCircuit> head_circuits(const std::vector<cs::analysis::HeadSpectrum>& spectra) {
  std::vector<HeadCircuit> out;
  for (const cs::analysis::HeadSpectrum& s : spectra)
    out.push_back({s.layer, s.head, s.ov_eigenvalues, s.qk_eigenvalues, s.ov_copying_score, s.qk_copying_score});
  return out;
}

}  // namespace

HeadsResult Model::heads() const {
  const cs::run::Snapshot& snap = impl_->snap();
  const cs::analysis::HeadsReport r = cs::pipeline::heads(impl_->run, snap);
  HeadsResult out;
  out.step = snap.info.step;
  out.n_layers = r.n_layers();
  out.n_heads = r.n_heads();
  for (int l = 0; l < r.n_layers(); ++l)
    for (int h = 0; h < r.n_heads(); ++h) {
      const cs::analysis::HeadScores s = r.scores(l, h);
      const cs::analysis::HeadSpectrum& sp = r.spectra[size_t(l * r.n_heads() + h)];
      out.heads.push_back({l, h, s.prefix_matching, s.previous_token, s.positional, s.copying_r,
                           sp.ov_copying_score, sp.qk_copying_score, r.kinds(l, h)});
    }
  ResultAccess::set_json(out, r.to_json());
  return out;
}

const HeadResult& HeadsResult::at(int layer, int head) const {
  CS_CHECK(layer >= 0 && layer < n_layers && head >= 0 && head < n_heads,
           "no head " << layer << "." << head << " in a model of " << n_layers << " x " << n_heads);
  return heads[size_t(layer * n_heads + head)];
}

CircuitsResult Model::circuits() const {
  const cs::run::Snapshot& snap = impl_->snap();
  const cs::pipeline::CircuitsRun c = cs::pipeline::circuits(impl_->run, snap);
  const cs::analysis::CircuitsAnalysis& a = c.analysis;
  CircuitsResult out;
  out.step = snap.info.step;
  out.heads = head_circuits(a.spectra);
  for (const cs::analysis::CompositionPair& p : a.pairs) out.composition.push_back({p.l1, p.l2, p.q, p.k, p.v});
  nlohmann::ordered_json j;
  j["circuits"] = stamped(snap.info, cs::analysis::circuits_json(a, c.tokenizer.get()));
  j["composition"] = stamped(snap.info, cs::analysis::composition_json(a));
  ResultAccess::set_json(out, j);
  return out;
}

AblationResult Model::ablate(const std::vector<std::pair<int, int>>& heads, AblationKind kind) const {
  const cs::analysis::AblationKind k =
      kind == AblationKind::full ? cs::analysis::AblationKind::full : cs::analysis::AblationKind::pattern_preserving;
  const cs::analysis::JointAblation a = cs::pipeline::ablate_heads(impl_->run, impl_->snap(), heads, k);
  AblationResult out;
  out.heads = a.heads;
  out.kind = kind;
  out.n_eval = a.n_eval;
  out.clean_icl = a.clean_icl;
  out.ablated_icl = a.ablated_icl;
  out.clean_loss = a.clean_loss;
  out.ablated_loss = a.ablated_loss;
  ResultAccess::set_json(out, a.to_json());
  return out;
}

IclResult Run::icl() const {
  const cs::analysis::IclResult r = cs::analysis::run_icl(impl_->dir);  // with the run's ICL settings
  IclResult out;
  out.steps = r.steps;
  out.tokens = r.tokens;
  out.icl_score = r.icl_score;
  out.icl_stderr = r.icl_stderr;
  out.early_loss = r.early_loss;
  out.late_loss = r.late_loss;
  out.icl_score_smoothed = r.icl_score_smoothed;
  out.early_window = {r.positions.early_window.first, r.positions.early_window.last};
  out.late_window = {r.positions.late_window.first, r.positions.late_window.last};
  out.n_eval = r.n_eval;
  if (r.phase_change) {
    const cs::analysis::PhaseChange& p = *r.phase_change;
    out.phase_change = IclResult::PhaseChange{p.start_step, p.end_step, p.start_tokens, p.end_tokens, p.delta_nats};
  }
  ResultAccess::set_json(out, r.to_json());
  return out;
}

}  // namespace circuitscope
