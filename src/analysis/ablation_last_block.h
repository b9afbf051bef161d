#pragma once
// Ablations in the last block of a model with MLPs, at the ICL window rows only. Zeroing a head of
// the last layer changes no attention pattern (every pattern reads the unchanged block input)
// and an MLP acts on each position alone, so the final stream at a window row needs that row
// alone: the clean attention output minus the head's result, then the MLP again. A full pass
// would recompute every position of the sequence.
#include <vector>

#include "analysis/ablation_windows.h"
#include "model/activations.h"
#include "model/params.h"

namespace cs::analysis::detail {

// Variant indices in IclSums: 1 + layer * n_heads + head for heads, then every MLP layer zeroed,
// then every MLP layer replaced by its mean.
int64_t head_variant(const Config& c, int layer, int head);
int64_t mlp_variant(const Config& c, int layer, HeadAblation::Kind kind);

// Adds the last layer's variants (each head zeroed; the MLP zeroed and mean-replaced) of the
// clean pass of c sequences, which holds every cache entry, to sums.
template <class T>
void last_block_variants(const Params<T>& params, const Activations<T>& clean, const WindowRows& w,
                         const std::vector<int32_t>& targets, std::vector<T>& logits,
                         std::vector<double>& losses, IclSums& sums);

}  // namespace cs::analysis::detail
