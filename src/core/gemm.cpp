#include "core/gemm.h"

#include <cblas.h>
#include <dnnl.h>
#include <omp.h>

#include "core/error.h"

namespace cs {

namespace {
// Per thread: runs trained side by side may use different precisions.
thread_local MatmulPrecision g_precision = MatmulPrecision::fp32;
constexpr double kBf16MinWork = double(1 << 21);  // multiply-adds; below it rounding costs more
}  // namespace

MatmulPrecision matmul_precision() { return g_precision; }
MatmulPrecisionScope::MatmulPrecisionScope(MatmulPrecision p) : saved_(g_precision) { g_precision = p; }
MatmulPrecisionScope::~MatmulPrecisionScope() { g_precision = saved_; }

bool cpu_has_native_bf16() { return __builtin_cpu_supports("avx512bf16"); }

MatmulPrecision parse_matmul_precision(const std::string& name) {
  if (name == "fp32") return MatmulPrecision::fp32;
  if (name == "bf16") return MatmulPrecision::bf16;
  fail("unknown precision '" + name + "' (expected fp32 or bf16)");
}
std::string to_string(MatmulPrecision p) { return p == MatmulPrecision::bf16 ? "bf16" : "fp32"; }

template <>
void gemm<float>(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                 const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                 int64_t ldc) {
  if (M == 0 || N == 0) return;
  if (g_precision == MatmulPrecision::bf16 && double(M) * double(N) * double(K) >= kBf16MinWork &&
      !omp_in_parallel())
    return gemm_bf16(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  const dnnl_status_t st = dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', M, N, K, alpha, A,
                                      lda, B, ldb, beta, C, ldc);
  CS_CHECK(st == dnnl_success, "oneDNN sgemm failed (status " << int(st) << ") for M=" << M
                                                              << " N=" << N << " K=" << K);
}

template <>
void gemm<double>(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, double alpha,
                  const double* A, int64_t lda, const double* B, int64_t ldb, double beta,
                  double* C, int64_t ldc) {
  if (M == 0 || N == 0) return;
  cblas_dgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
              trans_b ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void set_num_threads(int n) {
  CS_CHECK(n >= 1, "--threads must be at least 1, got " << n);
  omp_set_num_threads(n);
  openblas_set_num_threads(n);
}

int num_threads() { return omp_get_max_threads(); }

}  // namespace cs
