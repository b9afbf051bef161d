#pragma once
// The head evaluators of docs/evaluators.md (Induction, appendix): prefix matching, previous token,
// the empirical copying score and the repeated-token loss, plus a positional score used to name
// heads that attend by position rather than by content. Each score has a function on bare attention
// patterns (so an ideal pattern can be checked by hand) and evaluate_heads() runs the model once
// per probe set and scores every head. In memory only; the CLI reads and writes files.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "analysis/work_budget.h"
#include "model/params.h"

namespace cs::analysis {

struct EvaluatorOptions {
  int n_sequences = 10;  // random sequences for prefix matching and for copying
  int n_tokens = 25;     // distinct tokens per sequence
  int n_repeats = 4;     // copies of the sequence (prefix matching, repeated-token loss)
  uint64_t seed = 0;
  int text_sequences = 32;  // evaluation-text sequences for the previous-token and positional scores
  int text_batch = 8;       // of those, how many go through the model at once (bounds memory)
  // Work of those text passes; beyond it fewer sequences, then fewer positions (work_budget.h).
  double max_text_flops = kAnalysisFlops;
};

// The token pool of docs/evaluators.md, drawn from training-split counts [d_vocab]. Byte
// vocabularies: every byte value seen except the ten most common. Otherwise: tokens seen at least
// once are ranked by count (ties by id); the pool is ranks 99 (the 100th most common) up to, not
// including, the median rank. BOS never enters the pool. When that leaves fewer than min_size
// tokens (a corpus of few distinct symbols), every token seen except BOS is used instead, and
// `rule` says so.
struct TokenPool {
  std::vector<int32_t> tokens;
  std::string rule;
};
TokenPool token_pool(const std::vector<int64_t>& counts, int bos_id, bool byte_vocab,
                     int64_t min_size = 25);

// n_sequences rows of [BOS, s, s, s, s, t] with s n_tokens distinct pool tokens: 1 + n_repeats *
// n_tokens positions fed to the model plus one more target (the start of a fifth copy), so the
// row is a window for Activations::set_windows. Seeded; n_tokens is reduced to fit n_ctx and the
// pool (the result says what was used). Throws when fewer than 2 tokens remain.
struct RepeatedTokens {
  int n_sequences = 0, n_tokens = 0, n_repeats = 0;
  std::vector<int32_t> windows;  // [n_sequences, seq() + 1]
  int seq() const { return 1 + n_repeats * n_tokens; }
};
RepeatedTokens repeated_token_windows(const std::vector<int32_t>& pool, int bos_id, int n_ctx,
                                      const EvaluatorOptions& options);

// n_sequences rows of n_tokens distinct pool tokens (fewer when the pool or n_ctx is smaller), no
// BOS (Induction: including BOS was a mistake). Seeded differently from the repeated sequences.
std::vector<int32_t> copying_sequences(const std::vector<int32_t>& pool,
                                       const EvaluatorOptions& options);

// ---- scores on bare patterns [B, H, T, T] (row i = query position) -----------------------

// Per head: for every token of copies 2..n_repeats, the total attention to the positions right
// after its earlier copies, averaged over those tokens and the B sequences. Layout of each
// sequence: BOS at 0, copy r of token k at 1 + r * n_tokens + k. Ideal induction head: 1.
template <class T>
std::vector<double> prefix_matching_scores(const T* pattern, int64_t B, int64_t H, int64_t Tn,
                                           int n_tokens, int n_repeats);

// Per head: mean over sequences and positions i >= 1 of the attention i -> i-1.
template <class T>
std::vector<double> previous_token_scores(const T* pattern, int64_t B, int64_t H, int64_t Tn);

// Per head: 1 - mean total-variation distance between the attention rows (i >= 1) of sequence
// pairs (b, b+1). 1 when the pattern is a function of positions alone (a head that always reads
// BOS, or the previous token); near 0 when where it looks depends on what the tokens are.
// Returns sums and a count so callers can accumulate over batches: score = 1 - sum / count.
template <class T>
void positional_distance_sums(const T* pattern, int64_t B, int64_t H, int64_t Tn,
                              std::vector<double>& sums, int64_t& count);

// One head's empirical copying ratio (docs/evaluators.md) from its pattern [B, T, T] (the head's
// slice), the raises g[b, q, k] = ReLU(logit - mean logit) its result gives to the k-th token of
// sequence b, and that sequence's tokens [B, T] (distinct within a row, so token j is sample
// entry j): r = sum_q sum_j A[q, j] g_q[t_j] / sum_q sum_k g_q[k]. Returns numerator and
// denominator so callers can pool them; r is NaN when the head raises nothing.
struct CopyingSums {
  double numerator = 0, denominator = 0;
  double ratio() const;
};
template <class T>
CopyingSums copying_sums(const T* head_pattern, int64_t batch_stride, const double* gains,
                         int64_t B, int64_t Tn);

// ---- the model ------------------------------------------------------------------------------

struct HeadEvaluation {
  int n_layers = 0, n_heads = 0;
  // [n_layers * n_heads], index layer * n_heads + head.
  std::vector<double> prefix_matching, previous_token, positional, copying_r, copying_scaled;
  double repeated_token_loss = 0;  // mean loss on the tokens of copies 2..n_repeats
  double first_copy_loss = 0;      // mean loss on the tokens of the first copy (no context help)
  double ln_d_vocab = 0;
  EvaluatorOptions options;        // n_tokens as used (reduced to fit n_ctx if needed)
  int copying_tokens = 0;          // tokens per copying sequence as used
  int64_t pool_size = 0;
  std::string pool_rule;           // set by the caller: how the pool was drawn
  int64_t text_sequences_used = 0;
  int64_t text_length = 0;
  std::string limited;             // what the work budget cut, empty when nothing

  double at(const std::vector<double>& v, int layer, int head) const {
    return v[size_t(layer) * size_t(n_heads) + size_t(head)];
  }
  // Parameters and model-level values (not the per-head lists), for analysis files.
  nlohmann::ordered_json parameters_json() const;
};

// text: evaluation sequences [n_text, text_len] (e.g. eval/tokens.npy without its last column);
// the first options.text_sequences are used, truncated to n_ctx. Every forward pass batches
// its sequences.
template <class T>
HeadEvaluation evaluate_heads(const Params<T>& params, const std::vector<int32_t>& pool, int bos_id,
                              const std::vector<int32_t>& text, int64_t n_text, int64_t text_len,
                              const EvaluatorOptions& options = {});

// Only what the over-training picture needs: prefix matching and previous token per head, on
// every text row (text [n_text, text_len]; columns from n_ctx on are left out), text_batch rows per
// pass.
template <class T>
void evaluate_attention_scores(const Params<T>& params, const RepeatedTokens& repeated,
                               const std::vector<int32_t>& text, int64_t n_text, int64_t text_len,
                               int text_batch, std::vector<double>& prefix_matching,
                               std::vector<double>& previous_token);

// For every snapshot (load(i) gives its weights), prefix-matching and previous-token score of
// every head, [n_snapshots, n_layers, n_heads] flattened. Snapshots run in parallel, one per
// thread; load must be safe to call from several threads.
struct HeadsOverTraining {
  int n_layers = 0, n_heads = 0;
  std::vector<int64_t> steps, tokens;  // filled by the caller, who knows the snapshots
  std::vector<double> prefix_matching, previous_token;
  double prefix_matching_at(int64_t snapshot, int layer, int head) const {
    return prefix_matching[size_t((snapshot * n_layers + layer) * n_heads + head)];
  }
  // A score first seen at `snapshot` arose between the training tokens of the snapshot before
  // (of the snapshot itself when it is the first) and its own: {after, by}.
  std::pair<int64_t, int64_t> tokens_before_and_at(int64_t snapshot) const {
    return {tokens[size_t(std::max<int64_t>(snapshot - 1, 0))], tokens[size_t(snapshot)]};
  }
};
HeadsOverTraining heads_over_training(int64_t n_snapshots,
                                      const std::function<Params<float>(int64_t)>& load,
                                      const std::vector<int32_t>& pool, int bos_id,
                                      const std::vector<int32_t>& text, int64_t n_text,
                                      int64_t text_len, const EvaluatorOptions& options);

// The first snapshot at which head (layer, head) matches prefixes at or above threshold.
std::optional<int64_t> first_crossing(const HeadsOverTraining& h, int layer, int head, double threshold);

// When induction heads formed: the first snapshot at which a head that can read an earlier
// layer's output (layer >= 1) matches prefixes at or above threshold.
struct InductionFormation {
  int64_t snapshot = 0;
  int layer = 0, head = 0;
  double prefix_matching = 0;
};
std::optional<InductionFormation> first_induction_head(const HeadsOverTraining& h, double threshold);

}  // namespace cs::analysis
