// `circuitscope paths RUN`: path expansion and term importance by order (SPEC §4) on the run's
// evaluation sequences, patterns frozen to the clean pass -> RUN/analysis/paths.json.
#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "analysis/path_expansion.h"
#include "cli/analyses.h"
#include "cli/commands.h"
#include "cli/run_inputs.h"
#include "core/error.h"
#include "core/gemm.h"
#include "io/atomic_file.h"

namespace cs::cli {

void run_paths(const PathsArgs& args) {
  set_num_threads(args.threads > 0 ? args.threads : default_threads());
  const run::RunConfig rc = run::read_run_config(args.run);
  const RunSnapshot snap = load_run_snapshot(args.run, rc, args.snapshot);
  const EvalTokens eval = read_eval_tokens(args.run).head(args.sequences);
  CS_CHECK(eval.width - 1 <= rc.model.n_ctx,
           "eval/tokens.npy rows hold " << eval.width << " tokens, more than n_ctx + 1");
  analysis::PathExpansionOptions o;
  o.batch = args.batch;
  o.term_sequences = args.term_sequences;
  o.virtual_pairs = !args.no_virtual;
  const auto t0 = std::chrono::steady_clock::now();
  const analysis::PathExpansion pe =
      analysis::path_expansion(snap.params, eval.tokens, eval.n, eval.width - 1, o);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  nlohmann::ordered_json j;
  j["snapshot_step"] = snap.info.step;
  j["snapshot_tokens"] = snap.info.tokens;
  const nlohmann::ordered_json body = pe.to_json();
  for (const auto& [k, v] : body.items()) j[k] = v;
  j["seconds"] = secs;
  io::write_file_atomic(analysis_path(args.run, "paths.json"), j.dump(2) + "\n");

  std::printf("snapshot step %lld, %lld sequences of %lld tokens, patterns frozen\n",
              (long long)snap.info.step, (long long)pe.n_sequences, (long long)pe.seq);
  for (size_t k = 0; k < pe.loss_by_order.size(); ++k)
    std::printf("order %zu: loss %.4f nats%s\n", k, pe.loss_by_order[k],
                k == 0 ? " (direct path)" : k + 1 == pe.loss_by_order.size() ? " (full model)" : "");
  for (size_t k = 1; k < pe.loss_by_order.size(); ++k)
    std::printf("  order %zu terms are worth %.4f nats\n", k, pe.loss_by_order[k - 1] - pe.loss_by_order[k]);
  std::printf("head   own term  all terms (Δ loss when removed, %lld sequences)\n",
              (long long)pe.term_sequences);
  for (int l = 0; l < pe.n_layers; ++l)
    for (int h = 0; h < pe.n_heads; ++h)
      std::printf("%d.%-3d  %+.4f   %+.4f\n", l, h, pe.head_term[size_t(l * pe.n_heads + h)],
                  pe.head_all_terms[size_t(l * pe.n_heads + h)]);
  for (size_t i = 0; i < pe.virtual_heads.size() && i < 5; ++i) {
    const auto& v = pe.virtual_heads[i];
    std::printf("virtual head %d.%d -> %d.%d: %+.4f nats\n", v.layer1, v.head1, v.layer2, v.head2,
                v.importance);
  }
  if (!pe.virtual_heads_note.empty()) std::printf("virtual heads: %s\n", pe.virtual_heads_note.c_str());
  std::printf("-> %s (%.1f s)\n", analysis_path(args.run, "paths.json").c_str(), secs);
}

void register_paths(CLI::App& app) {
  auto args = std::make_shared<PathsArgs>();
  auto* cmd = app.add_subcommand(
      "paths",
      "Path expansion (SPEC §4) with patterns frozen to the clean pass: loss at path order 0 "
      "(direct path) .. n_layers (full model), the marginal value of single-head terms and of "
      "virtual heads, and the importance of each head's term and each virtual head. Writes "
      "RUN/analysis/paths.json.");
  cmd->add_option("run", args->run, "run folder")->required()->check(CLI::ExistingDirectory);
  cmd->add_option("--snapshot", args->snapshot, "STEP or last")->capture_default_str();
  cmd->add_option("--sequences", args->sequences, "evaluation sequences for the losses by order")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--term-sequences", args->term_sequences,
                  "of those, how many give the per-term importances (one pass per head and per "
                  "virtual head)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--no-virtual", args->no_virtual, "skip the per-virtual-head importances");
  cmd->add_option("--batch", args->batch, "sequences per pass")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--threads", args->threads, "threads (default: every core)");
  cmd->callback([args] { run_paths(*args); });
}

}  // namespace cs::cli
