#pragma once
// The Induction paper's trajectory picture: each snapshot's vector of per-token losses (every
// evaluation sequence at every position) as a point, projected onto the two directions in which
// those points vary most over training (principal components across snapshots). The first mostly
// follows the overall fall of the loss; a phase change shows as a turn of the trajectory along the
// second (docs/icl.md).
#include <cstdint>
#include <span>
#include <vector>

namespace cs::analysis {

struct LossPca {
  int64_t n_snapshots = 0;
  std::vector<double> projection;  // [n_snapshots, 2]: coordinates on PC1, PC2
  std::vector<double> explained;   // share of the total variance on PC1, PC2
};

// losses [n_snapshots, n_tokens]. Centred over snapshots; each component's sign is chosen so that
// the last snapshot lies on its positive side, so runs compare at a glance. Needs at least 3
// snapshots.
LossPca loss_pca(std::span<const float> losses, int64_t n_snapshots, int64_t n_tokens);

}  // namespace cs::analysis
