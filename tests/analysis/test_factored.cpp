// FactoredMatrix against the dense product it stands for: every result must equal the dense one
// (the Framework erratum came from exactly this kind of low-rank shortcut going wrong).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "analysis/factored.h"
#include "circuit_fixtures.h"
#include "core/error.h"

namespace cs::analysis {
namespace {

Mat gaussian(int64_t rows, int64_t cols, uint64_t seed) {
  Rng rng(seed);
  Mat m(rows, cols);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) m(r, c) = rng.normal();
  return m;
}

void expect_near(const Mat& a, const Mat& b, double tol) {
  ASSERT_EQ(a.rows(), b.rows());
  ASSERT_EQ(a.cols(), b.cols());
  EXPECT_LE((a - b).cwiseAbs().maxCoeff(), tol * std::max(1.0, b.cwiseAbs().maxCoeff()));
}

TEST(FactoredMatrix, RowsColumnsAndNormEqualDense) {
  const FactoredMatrix F(gaussian(30, 4, 1), gaussian(4, 25, 2));
  const Mat D = F.dense();
  EXPECT_EQ(F.n_rows(), 30);
  EXPECT_EQ(F.n_cols(), 25);
  EXPECT_EQ(F.inner(), 4);
  for (int64_t i : {0, 7, 29}) expect_near(F.row(i).transpose(), D.row(i), 1e-12);
  for (int64_t j : {0, 11, 24}) expect_near(F.column(j), D.col(j), 1e-12);
  EXPECT_NEAR(F.frobenius_norm(), D.norm(), 1e-10 * D.norm());
  expect_near(F.transpose().dense(), D.transpose(), 1e-12);
}

TEST(FactoredMatrix, TopKEqualsSortingTheDenseRowAndColumn) {
  const FactoredMatrix F(gaussian(30, 4, 3), gaussian(4, 25, 4));
  const Mat D = F.dense();
  for (bool largest : {true, false}) {
    const auto row = F.top_k_row(5, 6, largest);
    std::vector<std::pair<double, int64_t>> want;
    for (int64_t j = 0; j < D.cols(); ++j) want.push_back({largest ? -D(5, j) : D(5, j), j});
    std::sort(want.begin(), want.end());
    ASSERT_EQ(row.size(), 6u);
    for (size_t i = 0; i < row.size(); ++i) {
      EXPECT_EQ(row[i].index, want[i].second);
      EXPECT_NEAR(row[i].value, D(5, want[i].second), 1e-12);
    }
    const auto col = F.top_k_column(9, 3, largest);
    want.clear();
    for (int64_t i = 0; i < D.rows(); ++i) want.push_back({largest ? -D(i, 9) : D(i, 9), i});
    std::sort(want.begin(), want.end());
    for (size_t i = 0; i < col.size(); ++i) EXPECT_EQ(col[i].index, want[i].second);
  }
  // k beyond the length returns everything, ties broken by the lower index.
  const auto all = top_k(Vec::Constant(4, 2.0), 10);
  ASSERT_EQ(all.size(), 4u);
  for (int64_t i = 0; i < 4; ++i) EXPECT_EQ(all[size_t(i)].index, i);
}

TEST(FactoredMatrix, ProductsKeepTheSmallInnerDimension) {
  const FactoredMatrix F(gaussian(20, 3, 5), gaussian(3, 16, 6));
  const FactoredMatrix G(gaussian(16, 5, 7), gaussian(5, 12, 8));
  const Mat M = gaussian(16, 9, 9), N = gaussian(7, 20, 10);
  expect_near((F * M).dense(), F.dense() * M, 1e-12);
  EXPECT_EQ((F * M).inner(), 3);
  expect_near((N * F).dense(), N * F.dense(), 1e-12);
  EXPECT_EQ((N * F).inner(), 3);
  const FactoredMatrix FG = F * G;
  expect_near(FG.dense(), F.dense() * G.dense(), 1e-12);
  EXPECT_EQ(FG.inner(), 3);
  const FactoredMatrix GF = G.transpose() * F.transpose();  // inner 5 then 3: keeps 3
  expect_near(GF.dense(), G.dense().transpose() * F.dense().transpose(), 1e-12);
  EXPECT_EQ(GF.inner(), 3);
  EXPECT_NEAR(FG.frobenius_norm(), (F.dense() * G.dense()).norm(), 1e-9);
  EXPECT_THROW(F * F, Error);
  EXPECT_THROW(FactoredMatrix(gaussian(4, 3, 1), gaussian(2, 4, 1)), Error);
}

TEST(FactoredMatrix, EigenvaluesAreTheNonZeroOnesOfTheDenseProduct) {
  const FactoredMatrix F(gaussian(30, 4, 11), gaussian(4, 30, 12));
  const auto small = F.eigenvalues();
  ASSERT_EQ(small.size(), 4u);
  const auto dense = test::dense_eigenvalues(F.dense(), 4);
  EXPECT_TRUE(test::same_spectrum(small, dense, 1e-8));
  // The other 26 dense eigenvalues are zero up to rounding.
  const auto all = test::dense_eigenvalues(F.dense(), 30);
  for (size_t i = 4; i < all.size(); ++i) EXPECT_LT(std::abs(all[i]), 1e-8);
  EXPECT_THROW(FactoredMatrix(gaussian(5, 2, 1), gaussian(2, 4, 1)).eigenvalues(), Error);
}

TEST(FactoredMatrix, SingularValuesEqualDenseSvd) {
  for (auto [m, r, n] : {std::tuple{30, 4, 25}, std::tuple{6, 8, 40}}) {
    const FactoredMatrix F(gaussian(m, r, 13), gaussian(r, n, 14));
    const Vec sv = F.singular_values();
    Eigen::JacobiSVD<Mat> svd(F.dense());
    const int64_t rank = std::min({m, r, n});
    ASSERT_EQ(sv.size(), rank);
    for (int64_t i = 0; i < rank; ++i) EXPECT_NEAR(sv[i], svd.singularValues()[i], 1e-9);
  }
}

TEST(CopyingScore, SumOverSumOfMagnitudes) {
  using C = std::complex<double>;
  EXPECT_DOUBLE_EQ(copying_score({C(2, 0), C(1, 0)}), 1.0);
  EXPECT_DOUBLE_EQ(copying_score({C(-3, 0), C(-1, 0)}), -1.0);
  EXPECT_DOUBLE_EQ(copying_score({C(3, 0), C(-1, 0)}), 0.5);
  // 1 +- i: sum 2, magnitudes 2 sqrt 2.
  EXPECT_NEAR(copying_score({C(1, 1), C(1, -1)}), 1 / std::numbers::sqrt2, 1e-15);
  EXPECT_DOUBLE_EQ(copying_score({C(0, 0)}), 0.0);
}

}  // namespace
}  // namespace cs::analysis
