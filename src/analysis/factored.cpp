#include "analysis/factored.h"

#include <algorithm>
#include <numeric>

#include "core/error.h"

namespace cs::analysis {

std::vector<Entry> top_k(const Vec& v, int64_t k, bool largest) {
  CS_CHECK(k >= 0, "top-k needs k >= 0, got " << k);
  const int64_t n = v.size();
  k = std::min(k, n);
  std::vector<int64_t> idx(static_cast<size_t>(n));
  std::iota(idx.begin(), idx.end(), 0);
  auto better = [&](int64_t a, int64_t b) {
    if (v[a] != v[b]) return largest ? v[a] > v[b] : v[a] < v[b];
    return a < b;
  };
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), better);
  std::vector<Entry> out;
  out.reserve(size_t(k));
  for (int64_t i = 0; i < k; ++i) out.push_back({idx[size_t(i)], v[idx[size_t(i)]]});
  return out;
}

FactoredMatrix::FactoredMatrix(Mat A, Mat B) : A_(std::move(A)), B_(std::move(B)) {
  CS_CHECK(A_.cols() == B_.rows(), "factored matrix: A is " << A_.rows() << "x" << A_.cols()
                                                            << " but B is " << B_.rows() << "x"
                                                            << B_.cols());
}

Vec FactoredMatrix::row(int64_t i) const {
  CS_CHECK(i >= 0 && i < n_rows(), "row " << i << " out of range [0, " << n_rows() << ")");
  return (A_.row(i) * B_).transpose();
}

Vec FactoredMatrix::column(int64_t j) const {
  CS_CHECK(j >= 0 && j < n_cols(), "column " << j << " out of range [0, " << n_cols() << ")");
  return A_ * B_.col(j);
}

std::vector<Entry> FactoredMatrix::top_k_row(int64_t i, int64_t k, bool largest) const {
  return top_k(row(i), k, largest);
}

std::vector<Entry> FactoredMatrix::top_k_column(int64_t j, int64_t k, bool largest) const {
  return top_k(column(j), k, largest);
}

double FactoredMatrix::frobenius_norm() const {
  const Mat AtA = A_.transpose() * A_;
  const Mat BBt = B_ * B_.transpose();
  // tr(X Y) = sum of the elementwise product of X and Y^T; both are symmetric here.
  const double sq = AtA.cwiseProduct(BBt).sum();
  return std::sqrt(std::max(0.0, sq));  // rounding can leave a tiny negative for a zero matrix
}

FactoredMatrix FactoredMatrix::operator*(const Mat& M) const {
  CS_CHECK(n_cols() == M.rows(), "cannot multiply a " << n_rows() << "x" << n_cols()
                                                      << " factored matrix by a " << M.rows() << "x"
                                                      << M.cols() << " matrix");
  return FactoredMatrix(A_, B_ * M);
}

FactoredMatrix operator*(const Mat& M, const FactoredMatrix& F) {
  CS_CHECK(M.cols() == F.n_rows(), "cannot multiply a " << M.rows() << "x" << M.cols()
                                                        << " matrix by a " << F.n_rows() << "x"
                                                        << F.n_cols() << " factored matrix");
  return FactoredMatrix(M * F.A_, F.B_);
}

FactoredMatrix FactoredMatrix::operator*(const FactoredMatrix& o) const {
  CS_CHECK(n_cols() == o.n_rows(), "cannot multiply a " << n_rows() << "x" << n_cols()
                                                        << " factored matrix by a " << o.n_rows()
                                                        << "x" << o.n_cols() << " one");
  // (A1 B1)(A2 B2): fold the middle into whichever side keeps the smaller inner size.
  if (inner() <= o.inner()) return FactoredMatrix(A_, (B_ * o.A_) * o.B_);
  return FactoredMatrix(A_ * (B_ * o.A_), o.B_);
}

std::vector<std::complex<double>> sorted_eigenvalues(const Mat& m) {
  CS_CHECK(m.rows() == m.cols(),
           "eigenvalues need a square matrix, got " << m.rows() << "x" << m.cols());
  Eigen::EigenSolver<Mat> solver(m, false);
  CS_CHECK(solver.info() == Eigen::Success,
           "eigenvalue solver did not converge on a " << m.rows() << "x" << m.cols() << " matrix");
  std::vector<std::complex<double>> out(solver.eigenvalues().data(),
                                        solver.eigenvalues().data() + m.rows());
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    if (std::abs(a) != std::abs(b)) return std::abs(a) > std::abs(b);
    if (a.real() != b.real()) return a.real() > b.real();
    return a.imag() > b.imag();  // conjugate pairs in a fixed order
  });
  return out;
}

std::vector<std::complex<double>> FactoredMatrix::eigenvalues() const {
  CS_CHECK(n_rows() == n_cols(),
           "eigenvalues need a square matrix, this one is " << n_rows() << "x" << n_cols());
  return sorted_eigenvalues(B_ * A_);
}

namespace {

// A B = Q_A (R_A R_B^T) Q_B^T with thin QRs A = Q_A R_A and B^T = Q_B R_B: A B's singular values
// and vectors come from the small core R_A R_B^T.
struct ThinCore {
  Eigen::HouseholderQR<Mat> qa, qb;
  Eigen::Index ra = 0, rb = 0;
  Mat core;
};

ThinCore thin_core(const Mat& A, const Mat& B) {
  ThinCore c{Eigen::HouseholderQR<Mat>(A), Eigen::HouseholderQR<Mat>(Mat(B.transpose())), 0, 0, {}};
  c.ra = std::min(A.rows(), A.cols());
  c.rb = std::min(B.rows(), B.cols());
  const Mat RA = c.qa.matrixQR().topRows(c.ra).triangularView<Eigen::Upper>();
  const Mat RB = c.qb.matrixQR().topRows(c.rb).triangularView<Eigen::Upper>();
  c.core = RA * RB.transpose();
  return c;
}

}  // namespace

Vec FactoredMatrix::singular_values() const {
  Eigen::JacobiSVD<Mat> svd(thin_core(A_, B_).core);
  return svd.singularValues();
}

FactoredSvd FactoredMatrix::svd() const {
  const ThinCore c = thin_core(A_, B_);
  Eigen::JacobiSVD<Mat> svd(c.core, Eigen::ComputeThinU | Eigen::ComputeThinV);
  const Mat QA = c.qa.householderQ() * Mat::Identity(A_.rows(), c.ra);
  const Mat QB = c.qb.householderQ() * Mat::Identity(B_.cols(), c.rb);
  return {QA * svd.matrixU(), svd.singularValues(), QB * svd.matrixV()};
}

double copying_score(const std::vector<std::complex<double>>& eigenvalues) {
  double sum = 0, abs_sum = 0;
  for (const auto& l : eigenvalues) {
    sum += l.real();
    abs_sum += std::abs(l);
  }
  return abs_sum > 0 ? sum / abs_sum : 0.0;
}

}  // namespace cs::analysis
