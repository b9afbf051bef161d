#include "cli/tables.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <thread>

#include "core/format.h"
#include "data/tokenizer.h"

namespace cs::cli {

namespace {

// A table cell: `v` printed with `fmt` and right-aligned to `width` characters, or '–' where the
// value does not exist (NaN: no control, no choices, a score a model cannot have).
std::string cell(double v, const char* fmt, int width) {
  std::string text = std::isfinite(v) ? format(fmt, v) : "–";
  const int chars = std::isfinite(v) ? int(text.size()) : 1;  // '–' is one character in three bytes
  return std::string(size_t(std::max(0, width - chars)), ' ') + text;
}

// What an analysis left out to stay within its work budget (analysis/work_budget.h).
void print_limited(const std::string& limited) {
  if (!limited.empty()) std::printf("limited: %s\n", limited.c_str());
}

}  // namespace

int default_threads() { return int(std::max(1u, std::thread::hardware_concurrency())); }

void print(const analysis::HeadsReport& r) {
  const analysis::HeadEvaluation& e = r.evaluation;
  std::printf("snapshot step %lld: repeated-token loss %.3f nats (first copy %.3f, ln d_vocab %.3f)\n",
              (long long)r.snapshot.step, e.repeated_token_loss, e.first_copy_loss, e.ln_d_vocab);
  std::printf("head   prefix   prev  posit  copy_r     OV     QK  kinds\n");
  for (int l = 0; l < r.n_layers(); ++l)
    for (int h = 0; h < r.n_heads(); ++h) {
      const analysis::HeadScores sc = r.scores(l, h);
      const analysis::HeadSpectrum& s = r.spectra[size_t(l * r.n_heads() + h)];
      std::string names;
      for (const std::string& k : r.kinds(l, h)) names += (names.empty() ? "" : ", ") + k;
      std::printf("%d.%-3d  %s  %s  %s  %s  %s  %s  %s\n", l, h, cell(sc.prefix_matching, "%.3f", 6).c_str(),
                  cell(sc.previous_token, "%.3f", 5).c_str(), cell(sc.positional, "%.3f", 5).c_str(),
                  cell(sc.copying_r, "%.3f", 6).c_str(), cell(s.ov_copying_score, "%+.2f", 5).c_str(),
                  cell(s.qk_copying_score, "%+.2f", 5).c_str(), names.c_str());
    }
  print_limited(e.limited);
  std::printf("-> %s (%.1f s)\n", file_name(File::heads).c_str(), r.seconds);
}

void print(const analysis::HeadsOverTrainingReport& r) {
  std::printf("over training: %zu snapshots in %.1f s -> %s, %s.{svg,png}\n", r.scores.steps.size(), r.seconds,
              file_name(File::heads_over_training).c_str(), file_name(File::heads_over_training_picture).c_str());
}

void print(const analysis::CircuitsAnalysis& a, const run::SnapshotInfo& snapshot) {
  std::printf("snapshot step %lld: %d layers x %d heads\n", (long long)snapshot.step, a.cfg.n_layers, a.cfg.n_heads);
  if (!a.caveat.empty()) std::printf("note: %s\n", a.caveat.c_str());
  for (const auto& s : a.spectra)
    std::printf("  head %d.%d  OV copying %s  QK copying %s\n", s.layer, s.head,
                cell(s.ov_copying_score, "%+.3f", 6).c_str(), cell(s.qk_copying_score, "%+.3f", 6).c_str());
  if (!a.composition_skipped.empty())
    std::printf("composition: %s\n", a.composition_skipped.c_str());
  else
    std::printf("composition: %zu layer pairs, random baseline %.4f\n", a.pairs.size(), a.baseline.mean);
  std::printf("-> %s (%.2f s)\n", file_name(File::circuits).c_str(),
              a.seconds_grams + a.seconds_spectra + a.seconds_skip + a.seconds_composition);
}

void print_head(const analysis::CircuitsAnalysis& a, int l, int h, const data::Tokenizer* tok, int64_t rows) {
  const size_t i = size_t(l * a.cfg.n_heads + h);
  const analysis::HeadSpectrum& s = a.spectra[i];
  std::printf("head %d.%d: OV copying score %+.3f, QK copying score %+.3f\n", l, h, s.ov_copying_score,
              s.qk_copying_score);
  if (i >= a.skip.heads.size()) return;
  std::printf("  strongest skip-trigrams (source … destination → output, strength):\n");
  const auto& ranked = a.skip.heads[i].ranked;
  for (size_t r = 0; r < ranked.size() && int64_t(r) < rows; ++r) {
    const auto& t = ranked[r];
    std::printf("    %-16s … %-16s → %-16s %8.2f\n", ("'" + analysis::token_string(t.source, tok) + "'").c_str(),
                ("'" + analysis::token_string(t.destination, tok) + "'").c_str(),
                ("'" + analysis::token_string(t.output, tok) + "'").c_str(), t.strength);
  }
}

void print(const analysis::PathsReport& r) {
  const analysis::PathExpansion& pe = r.expansion;
  std::printf("snapshot step %lld, %lld sequences of %lld tokens, patterns frozen\n", (long long)r.snapshot.step,
              (long long)pe.n_sequences, (long long)pe.seq);
  for (size_t k = 0; k < pe.loss_by_order.size(); ++k)
    std::printf("order %zu: loss %.4f nats%s\n", k, pe.loss_by_order[k],
                k == 0 ? " (direct path)" : k + 1 == pe.loss_by_order.size() ? " (full model)" : "");
  for (size_t k = 1; k < pe.loss_by_order.size(); ++k)
    std::printf("  order %zu terms are worth %.4f nats\n", k, pe.loss_by_order[k - 1] - pe.loss_by_order[k]);
  std::printf("head   own term  all terms (Δ loss when removed, %lld sequences)\n", (long long)pe.term_sequences);
  for (int l = 0; l < pe.n_layers; ++l)
    for (int h = 0; h < pe.n_heads; ++h)
      std::printf("%d.%-3d  %s   %s\n", l, h, cell(pe.head_term[size_t(l * pe.n_heads + h)], "%+.4f", 7).c_str(),
                  cell(pe.head_all_terms[size_t(l * pe.n_heads + h)], "%+.4f", 7).c_str());
  for (size_t i = 0; i < pe.virtual_heads.size() && i < 5; ++i) {
    const auto& v = pe.virtual_heads[i];
    std::printf("virtual head %d.%d -> %d.%d: %+.4f nats\n", v.layer1, v.head1, v.layer2, v.head2, v.importance);
  }
  for (size_t l = 0; l < pe.mlp_term.size(); ++l)
    std::printf("MLP %zu  %+.4f   %+.4f  (its frozen output's own path; with every head that reads it)\n", l,
                pe.mlp_term[l], pe.mlp_all_terms[l]);
  if (!pe.virtual_heads_note.empty()) std::printf("virtual heads: %s\n", pe.virtual_heads_note.c_str());
  print_limited(r.limited);
  std::printf("-> %s (%.1f s)\n", file_name(File::paths).c_str(), r.seconds);
}

void print(const analysis::AblationReport& r) {
  const int L = r.sweep.n_layers, H = r.sweep.n_heads;
  std::printf("%s ablation of %d heads at %lld snapshot(s), %lld sequences: %.1f s (%s path)\n",
              analysis::to_string(r.kind).c_str(), L * H, (long long)r.n_snapshots(), (long long)r.n_eval, r.seconds,
              r.sweep.method.c_str());
  const analysis::HeadAblationIcl& last = r.sweep.snapshots.back();
  std::printf("last snapshot (step %lld): ICL score %.3f nats\nhead   ΔICL\n", (long long)r.steps.back(),
              last.clean_icl);
  for (int l = 0; l < L; ++l)
    for (int h = 0; h < H; ++h) std::printf("%d.%-3d  %s\n", l, h, cell(last.delta_icl(l, h), "%+.3f", 6).c_str());
  if (!last.mlp_zero_icl.empty())
    for (int l = 0; l < L; ++l)
      std::printf("MLP %d  %+.3f (zero)  %+.3f (mean)\n", l, last.mlp_delta_icl(HeadAblation::Kind::zero)[size_t(l)],
                  last.mlp_delta_icl(HeadAblation::Kind::mean)[size_t(l)]);
  print_limited(r.limited);
  std::printf("-> %s, %s, %s.{svg,png}\n", file_name(File::ablation_icl).c_str(),
              file_name(File::ablation_icl_array).c_str(), file_name(File::ablation_icl_picture).c_str());
}

void print(const analysis::ProbesReport& r) {
  for (const auto& s : r.skipped) std::printf("%-20s skipped: %s\n", s.name.c_str(), s.reason.c_str());
  if (!r.results.empty())
    std::printf("probe                answer loss  control  accuracy  top heads (Δ answer loss when ablated)\n");
  for (const analysis::ProbeResult& p : r.results) {
    std::string top;
    const std::vector<size_t> order = p.heads_by_importance();
    for (size_t i = 0; i < order.size() && i < 3; ++i)
      top += format("%s%d.%d %+.3f", i ? ", " : "", int(order[i]) / p.n_heads, int(order[i]) % p.n_heads,
                    p.head_delta_loss[order[i]]);
    std::printf("%-20s %s      %s  %s  %s\n", p.name.c_str(), cell(p.answer_loss, "%.3f", 7).c_str(),
                cell(p.control_loss, "%.3f", 7).c_str(), cell(p.accuracy, "%.3f", 8).c_str(), top.c_str());
    if (!p.limited.empty()) std::printf("%-20s limited: %s\n", p.name.c_str(), p.limited.c_str());
  }
  std::printf("-> %s\n", file_name(File::probes).c_str());
}

}  // namespace cs::cli
