#pragma once
// The per-head projections as single GEMMs. TransformerLens stores W_Q, W_K, W_V as
// [H, d_model, d_head]; packing them side by side into [d_model, 3 H d_head] turns 3H thin GEMMs
// into one wide one. W_O [H, d_head, d_model] is already [H d_head, d_model] in memory.
#include <cstdint>

namespace cs {

// packed[D, 3HK] from W_Q, W_K, W_V.
template <class T>
void pack_qkv(const T* W_Q, const T* W_K, const T* W_V, T* packed, int64_t H, int64_t D,
              int64_t K);
// dW_Q, dW_K, dW_V += unpacked dpacked.
template <class T>
void unpack_qkv_grad(const T* dpacked, T* dW_Q, T* dW_K, T* dW_V, int64_t H, int64_t D, int64_t K);

// qkv[rows, 3HK]: q, k from qk_in; v from v_in (the same pointer unless positions are shortformer).
// values_only: just v, for passes whose attention patterns are given (q and k are left as they are).
template <class T>
void qkv_forward(const T* qk_in, const T* v_in, const T* packed, T* qkv, int64_t rows, int64_t D,
                 int64_t HK, bool values_only = false);
// dpacked = inputs^T dqkv (overwrite); d_qk_in += dqk packed^T; d_v_in += dv packed^T
// (d_qk_in may equal d_v_in).
template <class T>
void qkv_backward(const T* dqkv, const T* qk_in, const T* v_in, const T* packed, T* dpacked,
                  T* d_qk_in, T* d_v_in, int64_t rows, int64_t D, int64_t HK);

// resid_out = resid_in + z W_O (resid_in may be null: then resid_out += z W_O).
template <class T>
void attn_out_forward(const T* z, const T* W_O, const T* resid_in, T* resid_out, int64_t rows,
                      int64_t HK, int64_t D);
// dz = dresid W_O^T (overwrite); dW_O += z^T dresid.
template <class T>
void attn_out_backward(const T* dresid, const T* z, const T* W_O, T* dz, T* dW_O, int64_t rows,
                       int64_t HK, int64_t D);

// The heads one by one, for hooks (blocks.{l}.attn.hook_result): result[rows, H, D] holds each
// head's z_h W_O[h]; sum_heads adds them over h into out. Forward only, as hooks are.
template <class T>
void head_results_forward(const T* z, const T* W_O, T* result, int64_t rows, int64_t H, int64_t K,
                          int64_t D);
template <class T>
void sum_heads_forward(const T* result, T* out, int64_t rows, int64_t H, int64_t D);

}  // namespace cs
