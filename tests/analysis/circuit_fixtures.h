#pragma once
// Small random models in double for checking the factored circuits against dense products, and
// a way to read the weights independently of analysis/circuits.h (raw offsets, explicit loops).
#include <algorithm>
#include <complex>
#include <string>
#include <vector>

#include "analysis/factored.h"
#include "core/rng.h"
#include "model/params.h"

namespace cs::test {

inline Config circuit_config(int n_layers, Positions pos = Positions::shortformer) {
  Config c;
  c.n_layers = n_layers;
  c.n_heads = 3;
  c.d_model = 16;
  c.d_head = 4;
  c.n_ctx = 10;
  c.d_vocab = 30;
  c.positional_embedding_type = pos;
  c.normalization_type = Normalization::none;
  return c;
}

inline Params<double> random_model(const Config& c, uint64_t seed) {
  Params<double> p(c);
  Rng rng(seed);
  for (double& x : p.data) x = 0.5 * rng.normal();
  return p;
}

// rows x cols of a row-major buffer starting at p.
inline analysis::Mat dense_block(const double* p, int64_t rows, int64_t cols) {
  analysis::Mat m(rows, cols);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) m(r, c) = p[r * cols + c];
  return m;
}

// "blocks.L.attn.NAME" of one head: [d_model, d_head] (W_Q, W_K, W_V) or [d_head, d_model] (W_O).
inline analysis::Mat raw_head(const Params<double>& p, int layer, const char* name, int head) {
  const int64_t D = p.cfg.d_model, K = p.cfg.d_head;
  std::string key = "blocks.";
  key.append(std::to_string(layer)).append(".attn.").append(name);
  const double* base = p[key] + head * D * K;
  return std::string(name) == "W_O" ? dense_block(base, K, D) : dense_block(base, D, K);
}

inline analysis::Mat raw(const Params<double>& p, const char* name) {
  const auto& v = p.layout.view(name);
  return dense_block(p[name], v.shape[0], v.shape[1]);
}

// Eigenvalues of a dense matrix, largest |lambda| first, only the n largest.
inline std::vector<std::complex<double>> dense_eigenvalues(const analysis::Mat& m, size_t n) {
  Eigen::EigenSolver<analysis::Mat> s(m, false);
  std::vector<std::complex<double>> ev(s.eigenvalues().data(), s.eigenvalues().data() + m.rows());
  std::sort(ev.begin(), ev.end(), [](auto a, auto b) { return std::abs(a) > std::abs(b); });
  ev.resize(std::min(n, ev.size()));
  return ev;
}

// Two spectra equal as multisets: every eigenvalue of `a` matched to a distinct one of `b`.
inline bool same_spectrum(std::vector<std::complex<double>> a, std::vector<std::complex<double>> b,
                          double tol) {
  if (a.size() != b.size()) return false;
  for (const auto& x : a) {
    size_t best = b.size();
    double d = tol;
    for (size_t i = 0; i < b.size(); ++i)
      if (std::abs(b[i] - x) <= d) {
        d = std::abs(b[i] - x);
        best = i;
      }
    if (best == b.size()) return false;
    b.erase(b.begin() + long(best));
  }
  return true;
}

}  // namespace cs::test
