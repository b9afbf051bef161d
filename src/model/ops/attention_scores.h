#pragma once
// Attention in the unfused steps that hooks look at (blocks.{l}.attn.hook_attn_scores, then the
// pattern): the fused kernel (ops/attention.h) never holds a whole score matrix. Forward only:
// a pass with hooks is an experiment on a trained model, never a training step.
//   qkv    [B, T, 3, H, K]  as ops/attention.h lays it out
//   scores [B, H, T, T]     q k^T / sqrt(K); -inf above the diagonal (TransformerLens's mask)
//   pattern[B, H, T, T]     the softmax of each row of scores
#include <cstdint>

namespace cs {

template <class T>
void attention_scores_forward(const T* qkv, T* scores, int64_t B, int64_t Tn, int64_t H, int64_t K);

// Rows of -inf only (a hook masked every key) give rows of zeros rather than NaN.
template <class T>
void softmax_rows_forward(const T* scores, T* pattern, int64_t rows, int64_t n);

}  // namespace cs
