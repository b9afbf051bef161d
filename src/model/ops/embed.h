#pragma once
// Token embedding (plus the learned position embedding when positions are 'standard').
#include <cstdint>

namespace cs {

// x[b, t] = W_E[tokens[b, t]] (+ W_pos[t])
template <class T>
void embed_forward(const int32_t* tokens, const T* W_E, const T* W_pos, T* x, int64_t B,
                   int64_t Tn, int64_t D);

// dW_E[tokens[b, t]] += dx[b, t] (and dW_pos[t] += dx[b, t])
template <class T>
void embed_backward(const int32_t* tokens, const T* dx, T* dW_E, T* dW_pos, int64_t B, int64_t Tn,
                    int64_t D);

// Position embedding added to the inputs of W_Q and W_K only ('shortformer'): y = x + W_pos[t].
template <class T>
void add_positions_forward(const T* x, const T* W_pos, T* y, int64_t B, int64_t Tn, int64_t D);

// dW_pos[t] += sum_b dy[b, t]
template <class T>
void add_positions_backward(const T* dy, T* dW_pos, int64_t B, int64_t Tn, int64_t D);

}  // namespace cs
