#include "model/ops/mlp.h"

#include "core/gemm.h"
#include "model/ops/activation.h"
#include "model/ops/bias.h"

namespace cs {

template <class T>
void mlp_in_forward(const T* x, const MlpWeights<T>& w, T* pre, int64_t rows, int64_t D, int64_t M) {
  gemm<T>(false, false, rows, M, D, T(1), x, D, w.W_in, M, T(0), pre, M);
  bias_forward(pre, w.b_in, rows, M, M);
}

template <class T>
void mlp_out_forward(const T* post, const MlpWeights<T>& w, T* out, int64_t rows, int64_t D, int64_t M) {
  gemm<T>(false, false, rows, D, M, T(1), post, M, w.W_out, D, T(0), out, D);
  bias_forward(out, w.b_out, rows, D, D);
}

template <class T>
void mlp_forward(const T* x, const MlpWeights<T>& w, ActFn act, T* pre, T* post, T* out,
                 int64_t rows, int64_t D, int64_t M) {
  mlp_in_forward(x, w, pre, rows, D, M);
  activation_forward(act, pre, post, rows * M);
  mlp_out_forward(post, w, out, rows, D, M);
}

template <class T>
void mlp_backward(const T* d_out, const T* x, const T* pre, const T* post, const MlpWeights<T>& w,
                  ActFn act, T* d_hidden, T* dx, const MlpGrads<T>& g, int64_t rows, int64_t D,
                  int64_t M) {
  gemm<T>(true, false, M, D, rows, T(1), post, M, d_out, D, T(1), g.W_out, D);
  bias_backward(d_out, g.b_out, rows, D, D);
  gemm<T>(false, true, rows, M, D, T(1), d_out, D, w.W_out, D, T(0), d_hidden, M);
  activation_backward(act, pre, d_hidden, d_hidden, rows * M);
  gemm<T>(true, false, D, M, rows, T(1), x, D, d_hidden, M, T(1), g.W_in, M);
  bias_backward(d_hidden, g.b_in, rows, M, M);
  gemm<T>(false, true, rows, D, M, T(1), d_hidden, M, w.W_in, M, T(1), dx, D);
}

#define CS_INSTANTIATE(T)                                                                     \
  template void mlp_in_forward<T>(const T*, const MlpWeights<T>&, T*, int64_t, int64_t, int64_t); \
  template void mlp_out_forward<T>(const T*, const MlpWeights<T>&, T*, int64_t, int64_t, int64_t); \
  template void mlp_forward<T>(const T*, const MlpWeights<T>&, ActFn, T*, T*, T*, int64_t,    \
                               int64_t, int64_t);                                             \
  template void mlp_backward<T>(const T*, const T*, const T*, const T*, const MlpWeights<T>&, \
                                ActFn, T*, T*, const MlpGrads<T>&, int64_t, int64_t, int64_t);
CS_INSTANTIATE(float)
CS_INSTANTIATE(double)
#undef CS_INSTANTIATE

}  // namespace cs
