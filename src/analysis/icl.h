#pragma once
// The in-context-learning curve of a training run (docs/icl.md): per snapshot, how much better the
// model predicts late tokens than early ones, its derivatives over log training tokens, and the
// phase-change window. In memory only; reading and writing run files is the CLI's job.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <vector>

namespace cs::analysis {

// Inclusive range [first, last] of token positions.
struct Window {
  int64_t first = 0;
  int64_t last = 0;
  int64_t size() const { return last - first + 1; }
  bool operator==(const Window&) const = default;
};

// Unset fields take the defaults of docs/icl.md, which depend on n_ctx (see resolve_positions).
struct IclOptions {
  std::optional<int64_t> early_index;
  std::optional<int64_t> late_index;
  std::optional<Window> early_window;
  std::optional<Window> late_window;
  double sigma_snapshots = 2.0;  // Gaussian smoothing of the score over snapshot index
  double min_drop_nats = 0.15;   // smallest fall across the window that counts as a phase change
  // The phase-change search starts at the first snapshot at or after this step. During the
  // learning-rate warm-up the model goes from uniform to unigram statistics and the score can
  // swing by tenths of a nat in a few steps: a transient, not the phase change.
  int64_t search_from_step = 0;
};

// A run's ICL settings as the run folder records them (File::icl_settings): only the fields set;
// search_from_step < 0 (the learning-rate warm-up) is left out.
nlohmann::ordered_json icl_settings_json(const IclOptions& options);
IclOptions icl_settings_from_json(const nlohmann::json& j);

// The positions actually averaged, after defaults and clipping.
struct IclPositions {
  int64_t early_index = 0;
  int64_t late_index = 0;
  Window early_window;
  Window late_window;
  bool defaults_scaled = false;  // true when n_ctx < 511 moved the defaults to 10% / 97%
};

// Defaults: index 48 in [36, 60] and 498 in [486, 510] when n_ctx >= 511. Shorter contexts use
// floor(10% n_ctx) and floor(97% n_ctx) with windows of +-max(1, round(5% n_ctx)), clipped to
// [0, n_ctx - 1]. A window given without its index gets its midpoint as index; an index given
// without a window gets the default half-width around it. Throws on anything inconsistent.
IclPositions resolve_positions(int64_t n_ctx, const IclOptions& options);

struct PhaseChange {
  int64_t start_snapshot = 0;  // indices into the run's snapshots
  int64_t end_snapshot = 0;
  int64_t start_step = 0;
  int64_t end_step = 0;
  int64_t start_tokens = 0;
  int64_t end_tokens = 0;
  int64_t steepest_tokens = 0;     // where the derivative is most negative
  double steepest_derivative = 0;  // that derivative, nats per e-fold of tokens
  double delta_nats = 0;           // smoothed score at the end minus at the start (negative)
};

struct IclResult {
  std::vector<int64_t> steps;
  std::vector<int64_t> tokens;
  IclPositions positions;
  double sigma_snapshots = 0;
  double min_drop_nats = 0;
  int64_t search_from_step = 0;
  int64_t n_eval = 0;
  int64_t n_ctx = 0;

  // One value per snapshot.
  std::vector<double> icl_score;   // mean over sequences of (late-window loss - early-window loss)
  std::vector<double> icl_stderr;  // standard error of that mean; NaN when n_eval < 2
  std::vector<double> early_loss;  // mean over sequences of the early-window loss
  std::vector<double> late_loss;
  std::vector<double> icl_score_smoothed;
  // Derivatives of the smoothed score w.r.t. ln(tokens); NaN at snapshots with tokens == 0,
  // which have no place on a log axis.
  std::vector<double> d_icl_d_logtokens;
  std::vector<double> d2_icl_d_logtokens2;

  std::optional<PhaseChange> phase_change;

  // The analysis/icl.json of docs/icl.md: the curve, windows and phase change first, then the
  // derivatives and a `parameters` object; keys in a fixed, readable order. Undefined values (NaN)
  // are written as null.
  nlohmann::ordered_json to_json() const;
  // analysis/icl.json back into the result that wrote it (a run shipped without its losses).
  static IclResult from_json(const nlohmann::json& j);
};

// per_sequence_loss: row-major [n_snapshots, n_eval, n_ctx], the loss (nats) of predicting token
// i+1 from tokens 0..i. steps and tokens: one per snapshot, strictly increasing.
IclResult compute_icl(std::span<const float> per_sequence_loss, int64_t n_snapshots, int64_t n_eval,
                      int64_t n_ctx, std::span<const int64_t> steps,
                      std::span<const int64_t> tokens, const IclOptions& options = {});

// Mean over sequences: [n_snapshots, n_ctx], the per-token loss matrix L[s, i] of docs/icl.md.
std::vector<float> mean_over_sequences(std::span<const float> per_sequence_loss,
                                       int64_t n_snapshots, int64_t n_eval, int64_t n_ctx);

}  // namespace cs::analysis
