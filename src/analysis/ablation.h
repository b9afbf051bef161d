#pragma once
// Ablations (docs/evaluators.md) and the attribution of in-context learning to heads: for every
// head, the ICL score (docs/icl.md) with the head's result zeroed minus the score without.
// Pattern-preserving ablation (Induction's choice, the default) freezes every attention pattern to
// the clean pass's, so only value paths change; full ablation recomputes everything downstream.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "analysis/icl.h"
#include "model/interventions.h"
#include "model/params.h"

namespace cs::analysis {

enum class AblationKind { pattern_preserving, full };
std::string to_string(AblationKind kind);  // "pattern-preserving" | "full"

// The window losses of one snapshot: clean, and with each head ablated in turn. Means over
// sequences of the per-sequence window means (docs/icl.md), so icl = late - early.
struct HeadAblationIcl {
  int n_layers = 0, n_heads = 0;
  int64_t n_eval = 0;
  AblationKind kind = AblationKind::pattern_preserving;
  double clean_early = 0, clean_late = 0, clean_icl = 0;
  std::vector<double> early, late, icl;  // [n_layers * n_heads], with that head ablated
  // Models with MLPs: the ICL score with each layer's MLP output zeroed, or replaced by its mean
  // over the evaluation rows of its batch. [n_layers] each; empty in attention-only models.
  std::vector<double> mlp_zero_icl, mlp_mean_icl;

  std::vector<double> delta_icl() const;
  std::vector<double> mlp_delta_icl(HeadAblation::Kind kind) const;
  double delta_icl(int layer, int head) const;
};

// windows [n_eval, width]: evaluation sequences (eval/tokens.npy, width n_ctx + 1); the losses at
// positions i of both windows predict token i + 1, so width must exceed late_window.last + 1.
// Only positions up to late_window.last go through the model, and only window rows get logits.

// Reference path: one forward pass with interventions per head (any model, either kind).
// `ablated` (one entry per head, layer-major; empty: all) leaves the heads it excludes out: their
// losses and ICL scores are NaN.
template <class T>
HeadAblationIcl ablate_heads_icl(const Params<T>& params, const std::vector<int32_t>& windows,
                                 int64_t n_eval, int64_t width, const IclPositions& positions,
                                 AblationKind kind, int batch = 8, const std::vector<bool>& ablated = {});

// Fast path for pattern-preserving ablation of models without normalization: with frozen
// patterns the model is linear in each head's result, so one clean pass gives every head's
// contribution to the final stream at the window rows (its own term plus its paths through
// later heads), and ablating a head subtracts it. Equals ablate_heads_icl up to rounding.
template <class T>
HeadAblationIcl ablate_heads_icl_linear(const Params<T>& params, const std::vector<int32_t>& windows,
                                        int64_t n_eval, int64_t width,
                                        const IclPositions& positions, int batch = 8);

// Whether the fast path applies (pattern-preserving; attention-only without normalization or biases).
bool linear_path_applies(const Config& cfg, AblationKind kind);

// ΔICL of every head at every snapshot (load(i) gives snapshot i's weights; called from several
// threads). Snapshots run in parallel, one per thread; the fast path is used where it applies.
struct IclAblationSweep {
  int n_layers = 0, n_heads = 0;
  int64_t n_eval = 0;
  AblationKind kind = AblationKind::pattern_preserving;
  std::string method;                     // "linear" or "interventions"
  std::vector<double> clean_icl;          // [n_snapshots]
  std::vector<double> delta_icl;          // [n_snapshots, n_layers, n_heads]
  std::vector<double> mlp_delta_icl;      // [n_snapshots, 2 (zero, mean), n_layers]; empty without MLPs
  std::vector<HeadAblationIcl> snapshots;  // the full per-snapshot results
};
IclAblationSweep icl_ablation_sweep(int64_t n_snapshots,
                                    const std::function<Params<float>(int64_t)>& load,
                                    const std::vector<int32_t>& windows, int64_t n_eval,
                                    int64_t width, const IclPositions& positions,
                                    AblationKind kind, int batch = 8, const std::vector<bool>& ablated = {});

}  // namespace cs::analysis
