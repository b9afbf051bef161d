#include "analysis/loss_pca.h"

#include <Eigen/Dense>

#include "core/error.h"

namespace cs::analysis {

LossPca loss_pca(std::span<const float> losses, int64_t n_snapshots, int64_t n_tokens) {
  CS_CHECK(n_snapshots >= 3, "the PCA of per-token losses needs at least 3 snapshots, got " << n_snapshots);
  CS_CHECK(int64_t(losses.size()) == n_snapshots * n_tokens, "per-token losses are not [n_snapshots, n_tokens]");
  Eigen::MatrixXd X(n_snapshots, n_tokens);
  for (int64_t s = 0; s < n_snapshots; ++s)
    for (int64_t i = 0; i < n_tokens; ++i) X(s, i) = losses[size_t(s * n_tokens + i)];
  X.rowwise() -= X.colwise().mean();
  // The snapshots are few and the tokens many: the thin SVD of X gives the projections as U·S.
  Eigen::BDCSVD<Eigen::MatrixXd> svd(X, Eigen::ComputeThinU);
  const Eigen::VectorXd sv = svd.singularValues();
  const double total = sv.squaredNorm();
  LossPca p;
  p.n_snapshots = n_snapshots;
  p.projection.assign(size_t(n_snapshots * 2), 0.0);
  for (int c = 0; c < 2; ++c) {
    Eigen::VectorXd proj = Eigen::VectorXd::Zero(n_snapshots);
    if (c < sv.size()) proj = svd.matrixU().col(c) * sv(c);
    if (proj(n_snapshots - 1) < 0) proj = -proj;
    for (int64_t s = 0; s < n_snapshots; ++s) p.projection[size_t(s * 2 + c)] = proj(s);
    p.explained.push_back(total > 0 && c < sv.size() ? sv(c) * sv(c) / total : 0.0);
  }
  return p;
}

}  // namespace cs::analysis
