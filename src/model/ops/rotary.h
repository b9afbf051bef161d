#pragma once
// Rotary positions on q and k as TransformerLens and GPT-NeoX compute them: the first rotary_dim
// dimensions of each head (by default all of d_head) rotate in halves (not adjacent pairs),
// angle(t, i) = t * base^(-2i / rotary_dim); the remaining dimensions pass unrotated.
#include <cstdint>
#include <vector>

namespace cs {

// cos/sin table [n_ctx, rotary_dim / 2], computed once per model.
template <class T>
struct RotaryTable {
  int64_t half = 0;
  std::vector<T> cos, sin;
  RotaryTable() = default;
  RotaryTable(int64_t n_ctx, int64_t rotary_dim, double base);
};

// In place on the q and k slots of a qkv buffer [B, T, 3, H, K] (the v slot is untouched).
template <class T>
void rotary_forward(T* qkv, const RotaryTable<T>& table, int64_t B, int64_t Tn, int64_t H,
                    int64_t K);

// The rotation is orthogonal, so its backward is the inverse rotation of dq and dk, in place.
template <class T>
void rotary_backward(T* dqkv, const RotaryTable<T>& table, int64_t B, int64_t Tn, int64_t H,
                     int64_t K);

}  // namespace cs
