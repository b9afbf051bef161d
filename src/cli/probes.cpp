// `circuitscope probes RUN`: the talk's probes (a repeated paragraph, an English sentence and its
// French translation, the XOR task) or a prompt of the user's: loss on the answer tokens, against
// a control, and which heads carry it -> RUN/analysis/probes.json.
#include <cmath>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analysis/probes.h"
#include "cli/analyses.h"
#include "cli/commands.h"
#include "cli/run_inputs.h"
#include "core/error.h"
#include "core/gemm.h"
#include "io/atomic_file.h"

namespace cs::cli {

void run_probes(const ProbesArgs& args) {
  set_num_threads(args.threads > 0 ? args.threads : default_threads());
  CS_CHECK(args.context.empty() || !args.answer.empty(), "--context needs --answer");
  const run::RunConfig rc = run::read_run_config(args.run);
  const RunSnapshot snap = load_run_snapshot(args.run, rc, args.snapshot);
  const auto tok = data::load_tokenizer(args.run);
  CS_CHECK(tok->d_vocab() <= rc.model.d_vocab, "the run's tokenizer has " << tok->d_vocab()
                                                                            << " tokens, the model "
                                                                            << rc.model.d_vocab);
  // Named or custom probes must run; the built-in set skips what does not fit this model.
  std::vector<analysis::Probe> probes;
  for (const std::string& n : args.names) probes.push_back(analysis::builtin_probe(n));
  if (!args.answer.empty()) probes.push_back(analysis::custom_probe(args.context, args.answer));
  const bool chosen = !probes.empty();
  if (!chosen) probes = analysis::builtin_probes();

  nlohmann::ordered_json results = nlohmann::ordered_json::array(), skipped = nlohmann::ordered_json::array();
  bool header = false;
  for (const analysis::Probe& p : probes) {
    analysis::ProbeResult r;
    try {
      r = analysis::run_probe(snap.params, *tok, p);
    } catch (const Error& e) {
      if (chosen) throw;
      skipped.push_back({{"name", p.name}, {"reason", e.what()}});
      std::printf("%-20s skipped: %s\n", p.name.c_str(), e.what());
      continue;
    }
    const nlohmann::ordered_json j = r.to_json();
    results.push_back(j);
    if (!header)
      std::printf("probe                answer loss  control  accuracy  top heads (Δ answer loss when ablated)\n");
    header = true;
    std::string top;
    for (size_t i = 0; i < j["heads_by_importance"].size() && i < 3; ++i) {
      const auto& h = j["heads_by_importance"][i];
      char buf[48];
      std::snprintf(buf, sizeof buf, "%s%d.%d %+.3f", i ? ", " : "", h["layer"].get<int>(),
                    h["head"].get<int>(), h["delta_answer_loss"].get<double>());
      top += buf;
    }
    std::printf("%-20s %7.3f      %7.3f  %8s  %s\n", r.name.c_str(), r.answer_loss, r.control_loss,
                std::isfinite(r.accuracy) ? std::to_string(r.accuracy).substr(0, 5).c_str() : "-",
                top.c_str());
  }
  nlohmann::ordered_json out;
  out["snapshot_step"] = snap.info.step;
  out["snapshot_tokens"] = snap.info.tokens;
  out["tokenizer"] = tok->kind();
  out["patterns"] =
      "head importances use pattern-preserving ablation: patterns frozen to the clean pass";
  out["probes"] = results;
  out["skipped"] = skipped;
  io::write_file_atomic(analysis_path(args.run, "probes.json"), out.dump(2) + "\n");
  std::printf("-> %s\n", analysis_path(args.run, "probes.json").c_str());
}

void register_probes(CLI::App& app) {
  auto args = std::make_shared<ProbesArgs>();
  auto* cmd = app.add_subcommand(
      "probes",
      "The talk's probes on one snapshot: a repeated paragraph (induction), an English sentence "
      "followed by its French translation, and the XOR task (colour-or-month x animal-or-fruit -> "
      "true/false) learned from the context; or --context/--answer. Reports the loss on the "
      "answer tokens, a control, and each head's share (pattern-preserving ablation). Writes "
      "RUN/analysis/probes.json.");
  cmd->add_option("run", args->run, "run folder")->required()->check(CLI::ExistingDirectory);
  cmd->add_option("--snapshot", args->snapshot, "STEP or last")->capture_default_str();
  cmd->add_option("--probe", args->names, "repeated_paragraph | translation | xor (repeatable)");
  cmd->add_option("--context", args->context, "a custom probe's context");
  cmd->add_option("--answer", args->answer, "a custom probe's answer (scored)");
  cmd->add_option("--threads", args->threads, "threads (default: every core)");
  cmd->callback([args] { run_probes(*args); });
}

}  // namespace cs::cli
