#pragma once
// Next-token losses of many variants of one final residual stream, for the analyses that
// remove heads or terms with frozen patterns (ablations, path expansion). Unembedding every
// variant at d_model width is what such analyses cost, so a variant that differs from the
// reference stream by one head's term, z^h W_O^h, is unembedded as the reference logits minus
// z^h (W_O^h W_U): a d_head-wide product instead of a d_model-wide one. Rows are taken a block
// at a time, so only a block's logits are ever held, never a whole batch's.
#include <cstdint>
#include <vector>

namespace cs::analysis {

// The stream minus z OU: z [rows, K] with rows ldz apart, OU = W_O^h W_U [K, V].
template <class T>
struct RankTerm {
  const T* z = nullptr;
  int64_t ldz = 0, K = 0;
  const T* OU = nullptr;
};

template <class T>
struct LogitVariants {
  const T* stream = nullptr;               // the reference [rows, D]: variant 0
  std::vector<const T*> streams;           // whole other streams [rows, D]: variants 1 .. S
  std::vector<RankTerm<T>> terms;          // reference minus a term: variants S+1 .. S+terms
  int64_t count() const { return 1 + int64_t(streams.size() + terms.size()); }
};

// losses [count, rows]: each variant's loss (nats) of every row's target. Runs its row blocks on
// all threads when called outside a parallel region, on the calling thread inside one.
template <class T>
void variant_row_losses(const LogitVariants<T>& variants, const T* W_U, int64_t D, int64_t V,
                        const int32_t* targets, int64_t rows, double* losses);

// The mean loss of each variant over the rows: [count].
template <class T>
std::vector<double> variant_mean_losses(const LogitVariants<T>& variants, const T* W_U, int64_t D,
                                        int64_t V, const int32_t* targets, int64_t rows);

}  // namespace cs::analysis
