#pragma once
// A matrix kept as the product A B of two thin factors (A [m, r], B [r, n], r small), as
// *Framework* and TransformerLens's FactoredMatrix do: the OV and QK circuits of a head are
// d_vocab x d_vocab but have rank d_head, so every statistic we need comes from the factors or
// from r x r matrices, and the product is never formed (docs/circuits.md). Double precision
// throughout: eigenvalues of r x r matrices built from sums over 50k tokens lose digits in float.
#include <complex>
#include <cstdint>
#include <vector>

// Our loops parallelise over heads, head pairs and samples, where the work units are coarse; an
// Eigen product parallelised inside them as well only adds fork/join waits (badly so on a busy
// machine). Every file that includes Eigen in this project does so through this header.
#ifndef EIGEN_DONT_PARALLELIZE
#define EIGEN_DONT_PARALLELIZE
#endif
// GCC 12 warns about its own AVX-512 intrinsics as Eigen uses them (GCC bug 105593).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#include <Eigen/Dense>
#pragma GCC diagnostic pop

namespace cs::analysis {

using Mat = Eigen::MatrixXd;
using Vec = Eigen::VectorXd;

// One entry of a row or column: its index there and its value.
struct Entry {
  int64_t index = 0;
  double value = 0;
};

// The k largest (or, with largest = false, the k smallest) values of v, best first; ties keep the
// lower index first so results are reproducible.
std::vector<Entry> top_k(const Vec& v, int64_t k, bool largest = true);

// A B = U diag(S) V^T, thin: U [m, k], S [k] descending, V [n, k], k = min(rank bounds).
struct FactoredSvd {
  Mat U;
  Vec S;
  Mat V;
};

class FactoredMatrix {
 public:
  // A [m, r] and B [r, n]; a mismatch of A.cols() and B.rows() is a cs::Error.
  FactoredMatrix(Mat A, Mat B);

  int64_t n_rows() const { return A_.rows(); }
  int64_t n_cols() const { return B_.cols(); }
  int64_t inner() const { return A_.cols(); }  // r: an upper bound on the rank
  const Mat& A() const { return A_; }
  const Mat& B() const { return B_; }

  Vec row(int64_t i) const;     // (A B)[i, :]
  Vec column(int64_t j) const;  // (A B)[:, j]
  std::vector<Entry> top_k_row(int64_t i, int64_t k, bool largest = true) const;
  std::vector<Entry> top_k_column(int64_t j, int64_t k, bool largest = true) const;

  // ||A B||_F through the r x r Gram matrices: ||A B||_F^2 = tr((A^T A)(B B^T)).
  double frobenius_norm() const;

  FactoredMatrix transpose() const { return FactoredMatrix(B_.transpose(), A_.transpose()); }

  // Products that keep the small inner dimension: A (B M), (M A) B, and for two factored
  // matrices whichever grouping leaves the smaller inner size.
  FactoredMatrix operator*(const Mat& M) const;
  friend FactoredMatrix operator*(const Mat& M, const FactoredMatrix& F);
  FactoredMatrix operator*(const FactoredMatrix& other) const;

  // Eigenvalues of B A (r x r): the non-zero eigenvalues of A B are exactly the non-zero ones
  // among these. Largest |lambda| first (sorted_eigenvalues). Needs a square product (m == n).
  std::vector<std::complex<double>> eigenvalues() const;

  // Singular values of A B, descending (min(r, m, n) of them): with A = Q_A R_A and
  // B^T = Q_B R_B (thin QR), A B = Q_A (R_A R_B^T) Q_B^T, so they are those of the r x r core.
  Vec singular_values() const;
  // The singular vectors too, from the same core: U = Q_A U_core, V = Q_B V_core.
  FactoredSvd svd() const;

  // The full product; for tests and for small matrices only.
  Mat dense() const { return A_ * B_; }

 private:
  Mat A_, B_;
};

// Eigenvalues of a small real matrix, largest |lambda| first; conjugate pairs in a fixed order.
std::vector<std::complex<double>> sorted_eigenvalues(const Mat& m);

// Sum(lambda) / sum(|lambda|) (real part of the numerator: for a real matrix the sum of the
// eigenvalues is its trace, a real number): +1 when every eigenvalue is positive real ("copying"),
// -1 when every one is negative real. 0 for an all-zero spectrum.
double copying_score(const std::vector<std::complex<double>>& eigenvalues);

}  // namespace cs::analysis
