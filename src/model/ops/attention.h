#pragma once
// Fused causal attention for every (batch, head): scores, mask, softmax and the weighted sum of
// values in one cache-friendly pass over the unmasked half only. Layouts:
//   qkv     [B, T, 3, H, K]   q, k (after rotary) and v of every head
//   pattern [B, H, T, T]      softmax(q k^T / sqrt(K)); the masked half is zero. The forward
//                             writes only the causal half: the caller's buffer starts zeroed and
//                             nothing else writes it (Activations allocates it so).
//   z       [B, T, H, K]      pattern v
#include <cstdint>
#include <vector>

namespace cs {

// Per-thread scratch (transposed k/v and their gradients), sized once so the training step does
// not allocate.
template <class T>
struct AttentionScratch {
  int64_t per_thread = 0;
  int threads = 0;
  std::vector<T> buf;
  AttentionScratch() = default;
  AttentionScratch(int64_t Tn, int64_t K);
  T* slot(int thread) { return buf.data() + thread * per_thread; }
};

// frozen: when non-null, a pattern [B, H, T, T] to use instead of the softmax (pattern is then
// a copy of it).
template <class T>
void attention_forward(const T* qkv, T* pattern, T* z, const T* frozen, int64_t B, int64_t Tn,
                       int64_t H, int64_t K, AttentionScratch<T>& scratch);

// Writes dq, dk, dv into dqkv (overwriting) from dz; z is the forward's output.
template <class T>
void attention_backward(const T* qkv, const T* pattern, const T* z, const T* dz, T* dqkv, int64_t B,
                        int64_t Tn, int64_t H, int64_t K, AttentionScratch<T>& scratch);

}  // namespace cs
