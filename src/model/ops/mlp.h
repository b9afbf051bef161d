#pragma once
// One MLP block's computation on its (normalized) input x [rows, d_model]:
//   pre = x W_in + b_in,  post = act(pre),  out = post W_out + b_out
// pre and post are kept: they are the hooks mlp.hook_pre and mlp.hook_post, and the backward
// pass needs both.
#include <cstdint>

#include "model/config.h"

namespace cs {

template <class T>
struct MlpWeights {
  const T* W_in;   // [D, M]
  const T* b_in;   // [M]
  const T* W_out;  // [M, D]
  const T* b_out;  // [D]
};

template <class T>
struct MlpGrads {
  T* W_in;
  T* b_in;
  T* W_out;
  T* b_out;
};

// The two halves, for hooks that read or change pre and post in between:
//   mlp_in_forward: pre = x W_in + b_in;  mlp_out_forward: out = post W_out + b_out.
template <class T>
void mlp_in_forward(const T* x, const MlpWeights<T>& w, T* pre, int64_t rows, int64_t D, int64_t M);
template <class T>
void mlp_out_forward(const T* post, const MlpWeights<T>& w, T* out, int64_t rows, int64_t D, int64_t M);

// out [rows, D] is overwritten.
template <class T>
void mlp_forward(const T* x, const MlpWeights<T>& w, ActFn act, T* pre, T* post, T* out,
                 int64_t rows, int64_t D, int64_t M);

// From d_out [rows, D]: the parameter gradients (+=) and dx (+=). d_hidden [rows, M] is scratch.
template <class T>
void mlp_backward(const T* d_out, const T* x, const T* pre, const T* post, const MlpWeights<T>& w,
                  ActFn act, T* d_hidden, T* dx, const MlpGrads<T>& g, int64_t rows, int64_t D,
                  int64_t M);

}  // namespace cs
