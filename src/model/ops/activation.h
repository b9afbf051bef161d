#pragma once
// The MLP's nonlinearity, forward and backward side by side: exact GELU (erf), GPT-2's tanh
// GELU ("gelu_new") and ReLU. Float uses vectorisable approximations (absolute error below 2e-7,
// under float's own rounding of the result); double, used by the gradient checks, uses libm.
#include <cstdint>

#include "model/config.h"

namespace cs {

// post[i] = act(pre[i]) for n values.
template <class T>
void activation_forward(ActFn act, const T* pre, T* post, int64_t n);

// d_pre[i] = d_post[i] * act'(pre[i]) (overwrite; d_pre may equal d_post).
template <class T>
void activation_backward(ActFn act, const T* pre, const T* d_post, T* d_pre, int64_t n);

}  // namespace cs
