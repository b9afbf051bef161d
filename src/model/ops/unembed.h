#pragma once
// Unembedding fused with softmax cross-entropy. Rows are processed in chunks so the full
// [rows, d_vocab] logits never need to exist during training (a 48k vocabulary would otherwise
// dominate memory).
#include <cstdint>
#include <vector>

namespace cs {

template <class T>
struct UnembedScratch {
  int64_t chunk_rows = 0;
  std::vector<T> logits;  // [chunk_rows, V]
  UnembedScratch() = default;
  UnembedScratch(int64_t rows, int64_t V);
};

// With logits = xf W_U (+ b_U when given): loss[r] = logsumexp(logits[r]) - logits[r, targets[r]]
// when targets is given; logits_out [rows, V] is filled when given.
template <class T>
void unembed_forward(const T* xf, const T* W_U, const T* b_U, const int32_t* targets, T* loss, T* logits_out,
                     int64_t rows, int64_t D, int64_t V, UnembedScratch<T>& scratch);

// Training step for loss = mean over rows: per-row loss, dxf (overwrite), dW_U and db_U (+=; b_U
// and db_U may be null).
template <class T>
void unembed_xent_forward_backward(const T* xf, const T* W_U, const T* b_U, const int32_t* targets,
                                   T* loss, T* dxf, T* dW_U, T* db_U, int64_t rows, int64_t D, int64_t V,
                                   UnembedScratch<T>& scratch);

}  // namespace cs
