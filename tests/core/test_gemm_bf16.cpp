// bf16 products: inputs rounded to bfloat16 (nearest, ties to even), accumulation and result in
// float; the precision scope sends only large products there.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/error.h"
#include "core/gemm.h"
#include "core/rng.h"

namespace cs {
namespace {

// bfloat16 keeps 8 significant bits: round the significand with the default (ties-to-even) mode.
double round_bf16(float x) {
  int e = 0;
  const double m = std::frexp(double(x), &e);  // |m| in [0.5, 1)
  return std::ldexp(std::nearbyint(std::ldexp(m, 8)), e - 8);
}

std::vector<float> random_matrix(int64_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = float(rng.normal());
  return v;
}

TEST(GemmBf16, EqualsTheProductOfRoundedInputs) {
  const int64_t M = 37, N = 53, K = 300, pad = 3;
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (auto [alpha, beta] : {std::pair{1.f, 0.f}, std::pair{-0.5f, 1.f}, std::pair{2.f, 0.25f}}) {
        const int64_t lda = (ta ? M : K) + pad, ldb = (tb ? K : N) + pad, ldc = N + pad;
        const auto A = random_matrix((ta ? K : M) * lda, 1), B = random_matrix((tb ? N : K) * ldb, 2);
        const auto C0 = random_matrix(M * ldc, 3);
        std::vector<float> C = C0, C32 = C0;
        gemm_bf16(ta, tb, M, N, K, alpha, A.data(), lda, B.data(), ldb, beta, C.data(), ldc);
        gemm<float>(ta, tb, M, N, K, alpha, A.data(), lda, B.data(), ldb, beta, C32.data(), ldc);
        double worst = 0, rounding = 0;
        for (int64_t i = 0; i < M; ++i)
          for (int64_t j = 0; j < N; ++j) {
            double ref = 0, scale = 0;
            for (int64_t k = 0; k < K; ++k) {
              const float a = ta ? A[size_t(k * lda + i)] : A[size_t(i * lda + k)];
              const float b = tb ? B[size_t(j * ldb + k)] : B[size_t(k * ldb + j)];
              ref += round_bf16(a) * round_bf16(b);
              scale += std::fabs(double(a) * double(b));
            }
            ref = alpha * ref + beta * double(C0[size_t(i * ldc + j)]);
            worst = std::max(worst, std::fabs(C[size_t(i * ldc + j)] - ref) / scale);
            rounding = std::max(rounding, std::fabs(C32[size_t(i * ldc + j)] - ref) / scale);
          }
        EXPECT_LT(worst, 1e-5) << ta << tb << " alpha " << alpha << " beta " << beta;
        // The fp32 product is measurably different: the inputs really were rounded.
        EXPECT_GT(rounding, 1e-4) << ta << tb;
        for (int64_t j = N; j < ldc; ++j) EXPECT_EQ(C[size_t(j)], C0[size_t(j)]) << "padding written";
      }
}

TEST(GemmBf16, TheScopeSendsOnlyLargeProductsToBf16) {
  const int64_t n = 256;  // 2^24 multiply-adds: large enough
  const auto A = random_matrix(n * n, 4), B = random_matrix(n * n, 5);
  std::vector<float> plain(size_t(n * n)), bf(size_t(n * n)), scoped(size_t(n * n));
  gemm<float>(false, false, n, n, n, 1.f, A.data(), n, B.data(), n, 0.f, plain.data(), n);
  gemm_bf16(false, false, n, n, n, 1.f, A.data(), n, B.data(), n, 0.f, bf.data(), n);
  std::vector<float> small_plain(64), small_scoped(64);
  gemm<float>(false, false, 8, 8, 8, 1.f, A.data(), 8, B.data(), 8, 0.f, small_plain.data(), 8);
  {
    const MatmulPrecisionScope scope(MatmulPrecision::bf16);
    EXPECT_EQ(matmul_precision(), MatmulPrecision::bf16);
    gemm<float>(false, false, n, n, n, 1.f, A.data(), n, B.data(), n, 0.f, scoped.data(), n);
    gemm<float>(false, false, 8, 8, 8, 1.f, A.data(), 8, B.data(), 8, 0.f, small_scoped.data(), 8);
  }
  EXPECT_EQ(matmul_precision(), MatmulPrecision::fp32);
  EXPECT_EQ(scoped, bf);
  EXPECT_NE(scoped, plain);
  EXPECT_EQ(small_scoped, small_plain);
}

TEST(GemmBf16, PrecisionNames) {
  EXPECT_EQ(parse_matmul_precision("bf16"), MatmulPrecision::bf16);
  EXPECT_EQ(to_string(parse_matmul_precision("fp32")), "fp32");
  EXPECT_THROW(parse_matmul_precision("fp16"), Error);
}

}  // namespace
}  // namespace cs
