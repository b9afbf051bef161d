#include "model/ops/projections.h"

#include <algorithm>

#include "core/gemm.h"
#include "core/parallel.h"

namespace cs {

template <class T>
void pack_qkv(const T* W_Q, const T* W_K, const T* W_V, T* packed, int64_t H, int64_t D,
              int64_t K) {
  const T* W[3] = {W_Q, W_K, W_V};
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t d = 0; d < D; ++d)
        std::copy(W[c] + (h * D + d) * K, W[c] + (h * D + d + 1) * K,
                  packed + d * 3 * H * K + (c * H + h) * K);
}

template <class T>
void unpack_qkv_grad(const T* dpacked, T* dW_Q, T* dW_K, T* dW_V, int64_t H, int64_t D,
                     int64_t K) {
  T* W[3] = {dW_Q, dW_K, dW_V};
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t d = 0; d < D; ++d) {
        const T* src = dpacked + d * 3 * H * K + (c * H + h) * K;
        T* dst = W[c] + (h * D + d) * K;
        for (int64_t k = 0; k < K; ++k) dst[k] += src[k];
      }
}

template <class T>
void qkv_forward(const T* qk_in, const T* v_in, const T* packed, T* qkv, int64_t rows, int64_t D,
                 int64_t HK, bool values_only) {
  const int64_t W3 = 3 * HK;
  if (values_only) {
    gemm<T>(false, false, rows, HK, D, T(1), v_in, D, packed + 2 * HK, W3, T(0), qkv + 2 * HK, W3);
  } else if (qk_in == v_in) {
    gemm<T>(false, false, rows, W3, D, T(1), qk_in, D, packed, W3, T(0), qkv, W3);
  } else {
    gemm<T>(false, false, rows, 2 * HK, D, T(1), qk_in, D, packed, W3, T(0), qkv, W3);
    gemm<T>(false, false, rows, HK, D, T(1), v_in, D, packed + 2 * HK, W3, T(0), qkv + 2 * HK, W3);
  }
}

template <class T>
void qkv_backward(const T* dqkv, const T* qk_in, const T* v_in, const T* packed, T* dpacked,
                  T* d_qk_in, T* d_v_in, int64_t rows, int64_t D, int64_t HK) {
  const int64_t W3 = 3 * HK;
  if (qk_in == v_in) {
    gemm<T>(true, false, D, W3, rows, T(1), qk_in, D, dqkv, W3, T(0), dpacked, W3);
  } else {
    gemm<T>(true, false, D, 2 * HK, rows, T(1), qk_in, D, dqkv, W3, T(0), dpacked, W3);
    gemm<T>(true, false, D, HK, rows, T(1), v_in, D, dqkv + 2 * HK, W3, T(0), dpacked + 2 * HK, W3);
  }
  if (d_qk_in == d_v_in) {
    gemm<T>(false, true, rows, D, W3, T(1), dqkv, W3, packed, W3, T(1), d_qk_in, D);
  } else {
    gemm<T>(false, true, rows, D, 2 * HK, T(1), dqkv, W3, packed, W3, T(1), d_qk_in, D);
    gemm<T>(false, true, rows, D, HK, T(1), dqkv + 2 * HK, W3, packed + 2 * HK, W3, T(1), d_v_in, D);
  }
}

template <class T>
void attn_out_forward(const T* z, const T* W_O, const T* resid_in, T* resid_out, int64_t rows,
                      int64_t HK, int64_t D) {
  if (resid_in) std::copy(resid_in, resid_in + rows * D, resid_out);
  gemm<T>(false, false, rows, D, HK, T(1), z, HK, W_O, D, T(1), resid_out, D);
}

template <class T>
void attn_out_backward(const T* dresid, const T* z, const T* W_O, T* dz, T* dW_O, int64_t rows,
                       int64_t HK, int64_t D) {
  gemm<T>(false, true, rows, HK, D, T(1), dresid, D, W_O, D, T(0), dz, HK);
  gemm<T>(true, false, HK, D, rows, T(1), z, HK, dresid, D, T(1), dW_O, D);
}

template <class T>
void head_results_forward(const T* z, const T* W_O, T* result, int64_t rows, int64_t H, int64_t K,
                          int64_t D) {
  for (int64_t h = 0; h < H; ++h)
    gemm<T>(false, false, rows, D, K, T(1), z + h * K, H * K, W_O + h * K * D, D, T(0), result + h * D, H * D);
}

template <class T>
void sum_heads_forward(const T* result, T* out, int64_t rows, int64_t H, int64_t D) {
#pragma omp parallel for schedule(static) if (rows * H * D > kParallelWork)
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t d = 0; d < D; ++d) out[r * D + d] += result[(r * H + h) * D + d];
}

#define CS_INSTANTIATE(T)                                                                         \
  template void pack_qkv<T>(const T*, const T*, const T*, T*, int64_t, int64_t, int64_t);         \
  template void unpack_qkv_grad<T>(const T*, T*, T*, T*, int64_t, int64_t, int64_t);               \
  template void qkv_forward<T>(const T*, const T*, const T*, T*, int64_t, int64_t, int64_t, bool); \
  template void qkv_backward<T>(const T*, const T*, const T*, const T*, T*, T*, T*, int64_t,      \
                                int64_t, int64_t);                                                \
  template void attn_out_forward<T>(const T*, const T*, const T*, T*, int64_t, int64_t, int64_t); \
  template void attn_out_backward<T>(const T*, const T*, const T*, T*, T*, int64_t, int64_t, int64_t); \
  template void head_results_forward<T>(const T*, const T*, T*, int64_t, int64_t, int64_t, int64_t);  \
  template void sum_heads_forward<T>(const T*, T*, int64_t, int64_t, int64_t);
CS_INSTANTIATE(float)
CS_INSTANTIATE(double)
#undef CS_INSTANTIATE

}  // namespace cs
