#pragma once
// Row-major C = alpha * op(A) op(B) + beta * C. float goes to oneDNN's sgemm (fastest measured
// here, docs/benchmarks.md); double goes to OpenBLAS and exists for the gradient checks.
#include <cstdint>
#include <string>

namespace cs {

template <class T>
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
          int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc);

// Training may give the float products bfloat16 inputs (float accumulation, float results): a
// scope sets it around the steps, so evaluation and the analyses stay float. Only products large
// enough to repay rounding their inputs, called outside parallel regions, take the bf16 path.
enum class MatmulPrecision { fp32, bf16 };
MatmulPrecision matmul_precision();
class MatmulPrecisionScope {
 public:
  explicit MatmulPrecisionScope(MatmulPrecision p);
  ~MatmulPrecisionScope();
  MatmulPrecisionScope(const MatmulPrecisionScope&) = delete;
  MatmulPrecisionScope& operator=(const MatmulPrecisionScope&) = delete;

 private:
  MatmulPrecision saved_;
};
MatmulPrecision parse_matmul_precision(const std::string& name);  // "fp32" | "bf16"
// Whether this CPU multiplies bf16 natively (AVX512-BF16). Without it the bf16 path emulates the
// rounding and runs slower than fp32 (docs/benchmarks.md).
bool cpu_has_native_bf16();
std::string to_string(MatmulPrecision p);

// C = alpha * op(A) op(B) + beta * C with A and B rounded to bfloat16 (oneDNN matmul).
void gemm_bf16(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
               int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

// Threads for our own loops (OpenMP) and for both GEMM libraries.
void set_num_threads(int n);
int num_threads();

}  // namespace cs
