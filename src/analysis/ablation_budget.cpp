#include "analysis/ablation_budget.h"

#include <algorithm>
#include <numeric>

#include "analysis/work_budget.h"

namespace cs::analysis {

namespace {

// Work of the reference path on one sequence: the clean pass, and per variant a pass from the
// layer it changes (the last layer's variants read only the window rows: free here).
struct PassCosts {
  double clean = 0;
  std::vector<double> head;  // per head, layer-major
  double mlps = 0;           // every MLP variant (zeroed and mean-replaced)
  double all() const { return clean + std::accumulate(head.begin(), head.end(), 0.0) + mlps; }
};

PassCosts pass_costs(const Config& c, const IclPositions& p) {
  const int64_t seq = p.late_window.last + 1;
  const int L = c.n_layers;
  PassCosts k;
  k.clean = double(seq) * forward_flops_per_token(c, seq, false);
  for (int l = 0; l < L; ++l) {
    const double from_l = l == L - 1 ? 0.0 : k.clean * double(L - l) / double(L);
    k.head.insert(k.head.end(), size_t(c.n_heads), from_l);
    if (!c.attn_only()) k.mlps += 2 * from_l;
  }
  return k;
}

void add_note(std::string& limited, const std::string& part) {
  limited += (limited.empty() ? "" : "; ") + part;
}

}  // namespace

AblationPlan plan_ablation(const Config& c, const IclPositions& positions, int64_t n_eval,
                           int64_t n_snapshots, double max_flops) {
  const double per_sequence = pass_costs(c, positions).all() * double(n_snapshots);
  AblationPlan plan;
  plan.n_eval = n_eval;
  plan.other_kind = n_snapshots == 1 && per_sequence * double(n_eval) <= max_flops;
  if (n_snapshots == 1 && !plan.other_kind) add_note(plan.limited, "the other ablation kind left out");
  plan.n_eval = std::clamp<int64_t>(int64_t(max_flops / per_sequence), 1, n_eval);
  if (plan.n_eval < n_eval) add_note(plan.limited, count_of(plan.n_eval, n_eval, "evaluation sequences"));
  plan.rank_heads = per_sequence > max_flops;
  return plan;
}

std::vector<bool> heads_within(const Config& c, const IclPositions& positions,
                               const std::vector<double>& score, int64_t n_snapshots,
                               double max_flops, std::string& limited) {
  const PassCosts k = pass_costs(c, positions);
  const std::vector<bool> keep =
      heads_that_fit(score, k.head, max_flops / double(n_snapshots) - k.clean - k.mlps);
  const int64_t kept = std::count(keep.begin(), keep.end(), true);
  add_note(limited, "ablated " + count_of(kept, int64_t(score.size()), "heads") +
                        " (the highest prefix-matching scores that fit; the others null)");
  return keep;
}

}  // namespace cs::analysis
