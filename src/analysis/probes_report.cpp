#include "analysis/probes_report.h"

#include "core/error.h"
#include "data/tokenizer.h"

namespace cs::analysis {

ProbesReport probes(const run::Snapshot& snapshot, const data::Tokenizer& tok, const ProbesRequest& request) {
  CS_CHECK(request.context.empty() || !request.answer.empty(), "--context needs --answer");
  CS_CHECK(tok.d_vocab() <= snapshot.params.cfg.d_vocab,
           "the run's tokenizer has " << tok.d_vocab() << " tokens, the model " << snapshot.params.cfg.d_vocab);
  std::vector<Probe> chosen;
  for (const std::string& n : request.names) chosen.push_back(builtin_probe(n));
  if (!request.answer.empty()) chosen.push_back(custom_probe(request.context, request.answer));
  const bool all = chosen.empty();
  if (all) chosen = builtin_probes();

  ProbesReport r;
  r.snapshot = snapshot.info;
  r.tokenizer = tok.kind();
  for (const Probe& p : chosen) {
    try {
      r.results.push_back(run_probe(snapshot.params, tok, p, request.max_flops / double(chosen.size())));
    } catch (const Error& e) {
      if (!all) throw;
      r.skipped.push_back({p.name, e.what()});
    }
  }
  return r;
}

nlohmann::ordered_json ProbesReport::to_json() const {
  nlohmann::ordered_json out;
  out["snapshot_step"] = snapshot.step;
  out["snapshot_tokens"] = snapshot.tokens;
  out["tokenizer"] = tokenizer;
  out["patterns"] = "head importances use pattern-preserving ablation: patterns frozen to the clean pass";
  nlohmann::ordered_json rows = nlohmann::ordered_json::array(), skips = nlohmann::ordered_json::array();
  for (const ProbeResult& p : results) rows.push_back(p.to_json());
  for (const Skipped& s : skipped) skips.push_back({{"name", s.name}, {"reason", s.reason}});
  out["probes"] = rows;
  out["skipped"] = skips;
  return out;
}

}  // namespace cs::analysis
