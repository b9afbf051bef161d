#pragma once
// LayerNorm over d_model, used before each layer's attention and before W_U. LNPre passes
// w = b = nullptr (no learned parameters). mean and rstd are kept for the backward pass and for
// analyses that need the per-token scale.
#include <cstdint>

namespace cs {

template <class T>
void layernorm_forward(const T* x, T* y, T* mean, T* rstd, const T* w, const T* b, int64_t rows,
                       int64_t D, double eps);

// dx += gradient through the norm; dw, db (when w is given) += parameter gradients.
template <class T>
void layernorm_backward(const T* dy, const T* x, const T* mean, const T* rstd, const T* w, T* dx,
                        T* dw, T* db, int64_t rows, int64_t D);

}  // namespace cs
