#pragma once
// Shared by the two ablation paths: which rows of each sequence the ICL score reads, their
// targets, the loss of those rows from a final stream, and per-sequence ICL bookkeeping.
#include <cstdint>
#include <vector>

#include "analysis/ablation.h"
#include "analysis/icl.h"
#include "model/params.h"

namespace cs::analysis::detail {

// Window positions of one sequence, early window first.
struct WindowRows {
  std::vector<int64_t> pos;
  int64_t n_early = 0, n_late = 0;
  int64_t seq_len = 0;  // positions that go through the model: 0 .. late.last
  explicit WindowRows(const IclPositions& p);
  int64_t size() const { return int64_t(pos.size()); }
};

void check_eval_windows(const Config& cfg, const std::vector<int32_t>& windows, int64_t n_eval,
                        int64_t width, const IclPositions& positions);

// Inputs [c, seq_len] and window targets [c, n_window_rows] of sequences b0 .. b0 + c - 1.
void chunk_tokens(const std::vector<int32_t>& windows, int64_t width, int64_t b0, int64_t c,
                  const WindowRows& w, std::vector<int32_t>& inputs, std::vector<int32_t>& targets);

// Loss of every window row: stream rows [c * n_window_rows, D] through W_U (logits scratch
// [rows, V], resized as needed).
template <class T>
void window_losses(const Params<T>& params, const T* stream_rows, const int32_t* targets,
                   int64_t rows, std::vector<T>& logits, double* losses);

// Adds each sequence's early and late window means (rows as laid out by WindowRows) to sums.
void add_window_means(const double* losses, int64_t c, const WindowRows& w, double& early_sum,
                      double& late_sum);

// Per-variant sums over sequences: variant 0 is the clean pass, 1 + i head i.
struct IclSums {
  std::vector<double> early, late;
  explicit IclSums(int64_t variants = 0) : early(size_t(variants), 0.0), late(size_t(variants), 0.0) {}
  void merge(const IclSums& o);
  // Means over n_eval sequences: the clean ICL and every head's, as the ablation result. Heads
  // outside a non-empty `ablated` mask were not ablated: NaN.
  HeadAblationIcl result(const Config& c, int64_t n_eval, AblationKind kind,
                         const std::vector<bool>& ablated = {}) const;
};

}  // namespace cs::analysis::detail
