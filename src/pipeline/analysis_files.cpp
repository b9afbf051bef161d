#include "pipeline/analysis_files.h"

#include "report/plot_circuits.h"
#include "report/plot_heads.h"
#include "report/plot_icl.h"

namespace cs::pipeline {

using report::save_both;

void save(const run::RunDir& run, const analysis::HeadsReport& heads) { run.write_json(File::heads, heads.to_json()); }

void save(const run::RunDir& run, const analysis::HeadsOverTrainingReport& r, const analysis::IclResult* icl) {
  const analysis::HeadsOverTraining& h = r.scores;
  const std::vector<int64_t> shape = {int64_t(h.steps.size()), h.n_layers, h.n_heads};
  run.write_json(File::heads_over_training, r.to_json());
  run.write_npy(File::heads_over_training_prefix_matching, h.prefix_matching, shape);
  run.write_npy(File::heads_over_training_previous_token, h.previous_token, shape);
  save_both(report::heads_over_training_figure(h, icl, r.thresholds.induction, r.thresholds.previous_token),
            run.path(File::heads_over_training_picture));
}

void save(const run::RunDir& run, const analysis::PathsReport& paths) { run.write_json(File::paths, paths.to_json()); }

void save(const run::RunDir& run, const analysis::AblationReport& r) {
  run.write_json(File::ablation_icl, r.to_json());
  run.write_npy(File::ablation_icl_array, r.sweep.delta_icl, {r.n_snapshots(), r.sweep.n_layers, r.sweep.n_heads});
  if (!r.sweep.mlp_delta_icl.empty())
    run.write_npy(File::ablation_icl_mlp_array, r.sweep.mlp_delta_icl, {r.n_snapshots(), 2, r.sweep.n_layers});
  const std::string picture = run.path(File::ablation_icl_picture);
  if (r.n_snapshots() >= 2)
    save_both(report::ablation_over_training_figure(r.sweep, r.tokens, r.prefix_matching_last), picture);
  else
    save_both(report::ablation_heatmap(r.sweep.snapshots.back(), r.steps.back()), picture);
}

void save(const run::RunDir& run, const analysis::ProbesReport& probes) { run.write_json(File::probes, probes.to_json()); }

std::vector<File> save(const run::RunDir& run, const analysis::CircuitsAnalysis& a, const run::SnapshotInfo& snapshot,
                       const data::Tokenizer* tokenizer, CircuitsParts parts) {
  auto stamp = [&](const nlohmann::ordered_json& body) {
    nlohmann::ordered_json s;
    s["snapshot_step"] = snapshot.step;
    s["snapshot_tokens"] = snapshot.tokens;
    s["run_id"] = run.config().run_id;
    s.update(body);
    return s;
  };
  std::vector<File> written;
  if (parts.circuits) {
    run.write_json(File::circuits, stamp(analysis::circuits_json(a, tokenizer)));
    written.push_back(File::circuits);
  }
  if (parts.composition) {
    run.write_json(File::composition, stamp(analysis::composition_json(a)));
    written.push_back(File::composition);
  }
  for (File f : analysis::write_circuit_arrays(a, run)) written.push_back(f);
  for (File f : report::save_circuit_pictures(a, run)) written.push_back(f);
  return written;
}

}  // namespace cs::pipeline
