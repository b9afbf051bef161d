#include "analysis/work_budget.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace cs::analysis {

double forward_flops_per_token(const Config& c, int64_t positions, bool unembed) {
  const double D = c.d_model, HK = double(c.n_heads) * c.d_head;
  // Q, K, V and O, the MLP's two products; scores and pattern-times-values over the causal half.
  const double weights = 4.0 * D * HK + 2.0 * D * c.d_mlp;
  const double attention = 2.0 * HK * double(positions);
  return 2.0 * c.n_layers * (weights + attention / 2.0) + (unembed ? 2.0 * D * c.d_vocab : 0.0);
}

double activation_bytes_per_token(const Config& c, int64_t positions) {
  const double per_layer = 12.0 * c.d_model + 2.0 * c.d_mlp + double(c.n_heads) * double(positions);
  return 4.0 * (c.n_layers * per_layer + c.d_vocab);
}

std::vector<bool> heads_that_fit(const std::vector<double>& score, const std::vector<double>& cost,
                                 double budget) {
  std::vector<size_t> order(score.size());
  std::iota(order.begin(), order.end(), size_t(0));
  auto key = [&](size_t i) { return std::isnan(score[i]) ? -INFINITY : score[i]; };
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return key(a) > key(b); });
  std::vector<bool> keep(score.size(), false);
  for (size_t i : order)
    if (cost[i] <= budget) {
      budget -= cost[i];
      keep[i] = true;
    }
  return keep;
}

template <class T>
std::vector<double> head_writes(const Params<T>& params, const Activations<T>& acts,
                                const std::vector<int64_t>& rows) {
  const Config& c = params.cfg;
  const int64_t H = c.n_heads, D = c.d_model;
  std::vector<double> out;
  for (int l = 0; l < c.n_layers; ++l) {
    const HookTensor<T> result = acts.head_result(params, l);  // [B, T, H, D]
    for (int64_t h = 0; h < H; ++h) {
      double s = 0;
      for (int64_t r : rows)
        for (int64_t d = 0; d < D; ++d) s += std::pow(double(result.data[size_t((r * H + h) * D + d)]), 2);
      out.push_back(s);
    }
  }
  return out;
}

template std::vector<double> head_writes(const Params<float>&, const Activations<float>&,
                                         const std::vector<int64_t>&);
template std::vector<double> head_writes(const Params<double>&, const Activations<double>&,
                                         const std::vector<int64_t>&);

std::string count_of(int64_t used, int64_t total, const std::string& what) {
  return std::to_string(used) + " of " + std::to_string(total) + " " + what;
}

}  // namespace cs::analysis
