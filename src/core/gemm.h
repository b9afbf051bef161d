#pragma once
// Row-major C = alpha * op(A) op(B) + beta * C. float goes to oneDNN's sgemm (fastest measured
// here, docs/benchmarks.md); double goes to OpenBLAS and exists for the gradient checks.
#include <cstdint>

namespace cs {

template <class T>
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
          int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc);

// Threads for our own loops (OpenMP) and for both GEMM libraries.
void set_num_threads(int n);
int num_threads();

}  // namespace cs
