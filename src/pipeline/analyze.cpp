#include "pipeline/analyze.h"

#include <algorithm>
#include <chrono>

#include "analysis/model_circuits.h"
#include "core/error.h"
#include "data/tokenizer.h"
#include "pipeline/analyses.h"
#include "pipeline/analysis_files.h"
#include "pipeline/run_curves.h"

namespace cs::pipeline {

const std::vector<std::string>& analysis_names() {
  static const std::vector<std::string> names = {"heads", "circuits", "paths", "ablate", "probes"};
  return names;
}

nlohmann::ordered_json Analyses::to_json(bool over_training) const {
  nlohmann::ordered_json done = nlohmann::ordered_json::array();
  double total = 0;
  for (const auto& [name, secs] : seconds) {
    done.push_back({{"analysis", name}, {"seconds", secs}});
    total += secs;
  }
  nlohmann::ordered_json j;
  j["snapshot_step"] = snapshot.step;
  j["snapshot_tokens"] = snapshot.tokens;
  j["over_training"] = over_training;
  j["analyses"] = done;
  j["seconds"] = total;
  return j;
}

Analyses analyze(const run::RunDir& run, const AnalyzeOptions& o,
                 const std::function<void(const std::string&, const Analyses&)>& done) {
  for (const std::string& s : o.skip)
    CS_CHECK(std::find(analysis_names().begin(), analysis_names().end(), s) != analysis_names().end(),
             "--skip expects heads, circuits, paths, ablate or probes, got '" << s << "'");
  // Resolve "last" once so that every analysis reads the same snapshot, and fail before any work
  // on a snapshot that is not there or belongs to another run.
  const run::Snapshot snap = run.snapshot(o.snapshot);
  const Config& cfg = snap.params.cfg;
  const analysis::ModelCircuits circuits(snap.params);
  Analyses a;
  a.snapshot = snap.info;
  auto wanted = [&](const std::string& name) {
    // A model without heads has nothing but its direct path to analyse.
    return std::find(o.skip.begin(), o.skip.end(), name) == o.skip.end() && (cfg.n_layers > 0 || name == "circuits");
  };
  auto step = [&](const std::string& name, const std::function<void()>& work) {
    if (!wanted(name)) return;
    const auto t0 = std::chrono::steady_clock::now();
    work();
    a.seconds.emplace_back(name, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (done) done(name, a);
  };

  step("heads", [&] {
    a.heads = heads(run, snap, o.heads, &circuits);
    save(run, *a.heads);
    if (!o.over_training) return;
    a.heads_over_training = analysis::heads_over_training(run, o.heads);
    const LoadedIcl icl = load_icl(run);
    save(run, *a.heads_over_training, icl.icl ? &*icl.icl : nullptr);
  });
  step("circuits", [&] {
    CircuitsRequest request;
    request.n_sources = o.n_sources;
    request.heads = a.heads ? &*a.heads : nullptr;
    const CircuitsRun c = pipeline::circuits(run, snap, request, &circuits);
    a.circuits = c.analysis;
    save(run, *a.circuits, snap.info, c.tokenizer.get(), {true, cfg.n_layers >= 2});
  });
  step("paths", [&] {
    a.paths = paths(run, snap, o.paths);
    save(run, *a.paths);
  });
  step("ablate", [&] {
    analysis::AblationOptions ao;
    if (!o.over_training) ao.steps = {snap.info.step};
    a.ablation = ablate(run, ao, a.heads ? &*a.heads : nullptr);
    save(run, *a.ablation);
  });
  step("probes", [&] {
    a.probes = probes(run, snap);
    save(run, *a.probes);
  });
  run.write_json(File::analyze, a.to_json(o.over_training));
  return a;
}

}  // namespace cs::pipeline
