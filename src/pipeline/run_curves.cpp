#include "pipeline/run_curves.h"

#include "analysis/run_inputs.h"
#include "report/findings.h"

namespace cs::pipeline {

namespace {

void add_loss_curve(const run::RunDir& run, RunCurves& c) {
  c.loss = run.metrics();
  if (c.loss.tokens.empty()) {
    c.loss_note = "no training loss in " + file_name(File::metrics);
    return;
  }
  try {
    c.loss_curve = analysis::analyze_loss_curve(c.loss.tokens, c.loss.loss, c.icl ? c.icl->phase_change : std::nullopt);
  } catch (const std::exception& e) {
    c.loss_note = e.what();
  }
}

void add_induction_ablation(const run::RunDir& run, const Analyses& a, RunCurves& c) {
  if (!a.heads) return;
  const auto heads = report::induction_heads(*a.heads);
  try {
    if (!heads.empty()) c.induction_ablation = analysis::ablate_heads(run.snapshot(a.snapshot.step).params, run, heads);
  } catch (const std::exception& e) {
    c.induction_ablation_note = e.what();  // the rest of the page is still worth writing
  }
}

}  // namespace

LoadedIcl load_icl(const run::RunDir& run) {
  LoadedIcl c;
  const std::string losses = file_name(File::per_sequence_loss);
  if (run.has(File::per_sequence_loss) && run.has(File::eval_snapshots)) {
    try {
      c.icl = analysis::run_icl(run);
      c.source = "computed from " + losses;
      c.per_token_loss = run.eval_losses().per_token();
      return c;
    } catch (const std::exception& e) {
      c.note = e.what();
    }
  }
  if (const auto j = run.read_json(File::icl)) {
    try {
      c.icl = analysis::IclResult::from_json(*j);
      c.source = "read from " + file_name(File::icl) + " (the run has no " + losses + " to recompute it from)";
    } catch (const std::exception& e) {
      c.note = file_name(File::icl) + " could not be read (" + e.what() + ")";
    }
  } else if (c.note.empty()) {
    c.note = "the run has neither " + losses + " nor " + file_name(File::icl);
  }
  return c;
}

LoadedHeadsOverTraining load_heads_over_training(const run::RunDir& run,
                                                 const analysis::HeadsOverTrainingReport* in_memory, bool compute) {
  LoadedHeadsOverTraining h;
  const std::string saved = file_name(File::heads_over_training);
  try {
    if (in_memory) {
      h.report = *in_memory;
      h.source = "measured at every snapshot";
    } else if (const auto j = run.read_json(File::heads_over_training)) {
      h.source = "read from " + saved;
      h.report = analysis::HeadsOverTrainingReport::from_json(*j);
    } else if (compute) {
      h.source = "computed now (no " + saved + " in the run)";
      h.report = analysis::heads_over_training(run);
    } else {
      h.note = run.snapshot_steps().size() < 2 ? "the run holds one snapshot and no " + saved
                                               : "the heads were scored at one snapshot only";
    }
  } catch (const std::exception& e) {
    h.note = h.source + " failed: " + e.what();
  }
  if (h.report && h.report->scores.steps.size() < 2) {
    h.report.reset();
    h.note = "the heads were scored at one snapshot only";
  }
  return h;
}

RunCurves run_curves(const run::RunDir& run, const Analyses& a) {
  RunCurves c;
  LoadedIcl icl = load_icl(run);
  c.icl = std::move(icl.icl);
  c.icl_source = icl.source;
  c.icl_note = icl.note;
  c.per_token_loss = std::move(icl.per_token_loss);
  if (c.per_token_loss.empty())
    c.per_token_note = c.icl && !run.has(File::per_sequence_loss)
                           ? "it needs " + file_name(File::per_sequence_loss) + ", which this run was shipped without"
                           : "no ICL curve (" + c.icl_note + ")";
  add_loss_curve(run, c);
  const LoadedHeadsOverTraining hot =
      load_heads_over_training(run, a.heads_over_training ? &*a.heads_over_training : nullptr, false);
  if (hot.report) c.heads_over_training = hot.report->scores;
  c.heads_over_training_source = hot.source;
  c.heads_over_training_note = hot.note;
  add_induction_ablation(run, a, c);
  return c;
}

}  // namespace cs::pipeline
