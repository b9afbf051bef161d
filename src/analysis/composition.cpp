#include "analysis/composition.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/gemm.h"
#include "core/parallel.h"
#include "core/rng.h"

namespace cs::analysis {

namespace {

// ||A1 B1 A2 B2||_F^2 = tr(G_A X G_B X^T) with G_A = A1^T A1, G_B = B2 B2^T, X = B1 A2: the
// r x r route, never a d_model x d_model product.
double product_norm_sq(const Mat& G_A, const Mat& X, const Mat& G_B) {
  return (G_A * X * G_B).cwiseProduct(X).sum();
}

double score_from_grams(const Mat& GA1, const Mat& GB1, const Mat& X, const Mat& GA2,
                        const Mat& GB2) {
  const double l2 = GA1.cwiseProduct(GB1).sum(), r2 = GA2.cwiseProduct(GB2).sum();
  if (l2 <= 0 || r2 <= 0) return 0.0;
  return std::sqrt(std::max(0.0, product_norm_sq(GA1, X, GB2)) / (l2 * r2));
}

// A circuit with the Gram matrices of its factors, built once per head: every composition score it
// enters is then a product of r x r matrices.
struct Side {
  FactoredMatrix M;
  Mat GA, GB;  // A^T A, B B^T
  explicit Side(FactoredMatrix m)
      : M(std::move(m)), GA(M.A().transpose() * M.A()), GB(M.B() * M.B().transpose()) {}
};

// The circuits a later head can read an earlier head's output through.
struct HeadSides {
  Side ov, qk, qk_t;
  explicit HeadSides(const HeadWeights& w) : ov(W_OV(w)), qk(W_QK(w)), qk_t(W_QK(w).transpose()) {}
  const Side& right(CompositionKind kind) const {
    return kind == CompositionKind::Q ? qk : kind == CompositionKind::K ? qk_t : ov;
  }
};

double score(const Side& left, const Side& right) {
  return score_from_grams(left.GA, left.GB, left.M.B() * right.M.A(), right.GA, right.GB);
}

Mat gaussian(Rng& rng, int64_t rows, int64_t cols) {
  Mat m(rows, cols);
  double* p = m.data();
  const int64_t n = rows * cols;
  for (int64_t i = 0; i < n; i += 2) {  // Box-Muller gives two normals per pair of uniforms
    const double u1 = 1.0 - rng.uniform(), u2 = rng.uniform();
    const double r = std::sqrt(-2.0 * std::log(u1)), t = 6.283185307179586 * u2;
    p[i] = r * std::cos(t);
    if (i + 1 < n) p[i + 1] = r * std::sin(t);
  }
  return m;
}

nlohmann::ordered_json eigen_json(const std::vector<std::complex<double>>& ev) {
  nlohmann::ordered_json j = nlohmann::ordered_json::array();
  for (const auto& l : ev) j.push_back({l.real(), l.imag()});
  return j;
}

}  // namespace

double composition_score(const FactoredMatrix& left, const FactoredMatrix& right) {
  return score(Side(left), Side(right));
}

double composition_score(const HeadWeights& h1, const HeadWeights& h2, CompositionKind kind) {
  const HeadSides a(h1), b(h2);
  return score(a.ov, b.right(kind));
}

CompositionBaseline random_baseline(int d_model, int d_head, int samples, uint64_t seed) {
  CS_CHECK(samples >= 1, "the composition baseline needs at least one sample, got " << samples);
  std::vector<double> s(static_cast<size_t>(samples));
  // Each sample has its own stream, so the result does not depend on the thread count.
#pragma omp parallel for schedule(dynamic, 1)
  for (int i = 0; i < samples; ++i) {
    Rng rng(seed * 1000003ull + uint64_t(i));
    const Side left(FactoredMatrix(gaussian(rng, d_model, d_head), gaussian(rng, d_head, d_model)));
    const Side right(FactoredMatrix(gaussian(rng, d_model, d_head), gaussian(rng, d_head, d_model)));
    s[size_t(i)] = score(left, right);
  }
  CompositionBaseline b;
  b.samples = samples;
  b.seed = seed;
  for (double x : s) b.mean += x / samples;
  for (double x : s) b.std += (x - b.mean) * (x - b.mean);
  b.std = samples > 1 ? std::sqrt(b.std / (samples - 1)) : 0.0;
  return b;
}

FactoredMatrix k_composition_term(const Mat& W_E, const HeadWeights& h1, const HeadWeights& h2) {
  // (W_E W_OV W_K)^T = W_K^T W_O^T W_V^T W_E^T.
  return FactoredMatrix(W_E * h2.W_Q, (h2.W_K.transpose() * h1.W_O.transpose()) *
                                          (h1.W_V.transpose() * W_E.transpose()));
}

Mat k_composition_core(const HeadWeights& h1, const HeadWeights& h2, const VocabGrams& g) {
  return (h1.W_O * h2.W_K).transpose() * ((h1.W_V.transpose() * g.G_E) * h2.W_Q);
}

namespace {

// Every head's W_Q, W_K and W_V of one layer side by side, [D, 3 H K] (all W_Q, then all W_K, then
// all W_V), and its W_Q alone [D, H K]: one product with an earlier head's W_O, or its W_V^T G_E,
// then gives that head's X = B1 A2 with every later head, for all three kinds at once.
struct LaterLayer {
  Mat qkv, q;
  LaterLayer(const std::vector<HeadWeights>& w, int64_t H, int64_t D, int64_t K) : qkv(D, 3 * H * K), q(D, H * K) {
    for (int64_t h = 0; h < H; ++h) {
      qkv.middleCols(h * K, K) = w[size_t(h)].W_Q;
      qkv.middleCols((H + h) * K, K) = w[size_t(h)].W_K;
      qkv.middleCols((2 * H + h) * K, K) = w[size_t(h)].W_V;
    }
    q = qkv.leftCols(H * K);
  }
};

}  // namespace

template <class T>
std::vector<CompositionPair> composition_scores(const Params<T>& p, const VocabGrams& g) {
  const Config& c = p.cfg;
  CS_CHECK(c.n_layers >= 2, "composition needs 2+ layers; this model has " << c.n_layers);
  const int64_t H = c.n_heads, K = c.d_head;
  std::vector<std::vector<HeadWeights>> w(size_t(c.n_layers));
  std::vector<std::vector<HeadSides>> sides(size_t(c.n_layers));
  std::vector<std::vector<Mat>> VtG(size_t(c.n_layers));  // W_V^T G_E, for the K-term cores
  std::vector<LaterLayer> later;
  for (int l = 0; l < c.n_layers; ++l) {
    for (int h = 0; h < c.n_heads; ++h) {
      w[l].push_back(head_weights(p, l, h));
      sides[l].emplace_back(w[l].back());
      VtG[l].push_back(w[l].back().W_V.transpose() * g.G_E);
    }
    later.emplace_back(w[l], H, c.d_model, K);
  }
  std::vector<CompositionPair> out;
  for (int l1 = 0; l1 < c.n_layers; ++l1)
    for (int l2 = l1 + 1; l2 < c.n_layers; ++l2) {
      CompositionPair pr;
      pr.l1 = l1;
      pr.l2 = l2;
      for (auto* m : {&pr.q, &pr.k, &pr.v, &pr.k_term_score})
        m->assign(size_t(H), std::vector<double>(size_t(H), 0.0));
      FirstError error;
#pragma omp parallel for schedule(dynamic, 1)
      for (int64_t h1 = 0; h1 < H; ++h1) try {
          const Mat X = w[l1][size_t(h1)].W_O * later[size_t(l2)].qkv;  // [K, 3 H K]
          const Mat VGQ = VtG[l1][size_t(h1)] * later[size_t(l2)].q;  // [K, H K]
          const Side& a = sides[l1][size_t(h1)].ov;
          for (int64_t h2 = 0; h2 < H; ++h2) {
            const HeadSides& b = sides[l2][size_t(h2)];
            const Mat Xq = X.middleCols(h2 * K, K), Xk = X.middleCols((H + h2) * K, K),
                      Xv = X.middleCols((2 * H + h2) * K, K);
            pr.q[size_t(h1)][size_t(h2)] = score_from_grams(a.GA, a.GB, Xq, b.qk.GA, b.qk.GB);
            pr.k[size_t(h1)][size_t(h2)] = score_from_grams(a.GA, a.GB, Xk, b.qk_t.GA, b.qk_t.GB);
            pr.v[size_t(h1)][size_t(h2)] = score_from_grams(a.GA, a.GB, Xv, b.ov.GA, b.ov.GB);
            const Mat core = Xk.transpose() * VGQ.middleCols(h2 * K, K);
            pr.k_term_score[size_t(h1)][size_t(h2)] = copying_score(sorted_eigenvalues(core));
          }
        } catch (...) {
          error.capture();
        }
      error.rethrow();
      out.push_back(std::move(pr));
    }
  return out;
}

template <class T>
std::vector<InductionAxis> induction_axes(const Params<T>& p, const VocabGrams& g,
                                          const std::vector<double>& prev) {
  const Config& c = p.cfg;
  CS_CHECK(c.n_layers >= 2, "the induction QK axis needs 2+ layers; this model has " << c.n_layers);
  CS_CHECK(int64_t(prev.size()) == int64_t(c.n_layers) * c.n_heads,
           "previous-token scores: expected " << c.n_layers * c.n_heads << " (one per head), got "
                                              << prev.size());
  std::vector<InductionAxis> out;
  Mat M = Mat::Zero(c.d_model, c.d_model);  // sum of prev(h1) W_OV^{h1} over earlier layers
  for (int l2 = 1; l2 < c.n_layers; ++l2) {
    for (int h1 = 0; h1 < c.n_heads; ++h1) {
      const HeadWeights w = head_weights(p, l2 - 1, h1);
      M += prev[size_t((l2 - 1) * c.n_heads + h1)] * (w.W_V * w.W_O);
    }
    const Mat MtG = M.transpose() * g.G_E;
    for (int h2 = 0; h2 < c.n_heads; ++h2) {
      const HeadWeights w = head_weights(p, l2, h2);
      InductionAxis a;
      a.layer = l2;
      a.head = h2;
      a.eigenvalues = sorted_eigenvalues(w.W_K.transpose() * MtG * w.W_Q);
      for (const auto& l : a.eigenvalues) a.trace += l.real();
      a.score = copying_score(a.eigenvalues);
      out.push_back(std::move(a));
    }
  }
  return out;
}

template <class T>
std::optional<std::vector<double>> positional_previous_token(const Params<T>& p) {
  const Config& c = p.cfg;
  if (!c.has_pos_embed()) return std::nullopt;
  const int64_t N = c.n_ctx, D = c.d_model, K = c.d_head;
  const T* P = p["pos_embed.W_pos"];
  std::vector<double> out(static_cast<size_t>(c.n_layers * c.n_heads), 0.0);
  // n_ctx x n_ctx scores per head: in the weights' precision through the BLAS, one head a time.
  std::vector<T> PQ(static_cast<size_t>(N * K)), PK(static_cast<size_t>(N * K));
  std::vector<T> S(static_cast<size_t>(N * N));
  const T scale = T(1.0 / std::sqrt(double(K)));
  for (int l = 0; l < c.n_layers; ++l)
    for (int h = 0; h < c.n_heads; ++h) {
      const std::string b = "blocks." + std::to_string(l) + ".attn.";
      gemm<T>(false, false, N, K, D, T(1), P, D, p[b + "W_Q"] + h * D * K, K, T(0), PQ.data(), K);
      gemm<T>(false, false, N, K, D, T(1), P, D, p[b + "W_K"] + h * D * K, K, T(0), PK.data(), K);
      gemm<T>(false, true, N, N, K, scale, PQ.data(), K, PK.data(), K, T(0), S.data(), N);
      double sum = 0;
      for (int64_t i = 1; i < N; ++i) {
        const T* row = S.data() + i * N;
        const double mx = double(*std::max_element(row, row + i + 1));
        double z = 0;
        for (int64_t j = 0; j <= i; ++j) z += std::exp(double(row[j]) - mx);
        sum += std::exp(double(row[i - 1]) - mx) / z;
      }
      out[size_t(l * c.n_heads + h)] = N > 1 ? sum / double(N - 1) : 0.0;
    }
  return out;
}

nlohmann::ordered_json composition_json(const std::vector<CompositionPair>& pairs,
                                        const CompositionBaseline& baseline,
                                        const std::vector<InductionAxis>& axes,
                                        const std::vector<double>& prev_token,
                                        const std::string& prev_token_source) {
  nlohmann::ordered_json j;
  j["pairs"] = nlohmann::ordered_json::array();
  for (const CompositionPair& pr : pairs)
    j["pairs"].push_back({{"layers", {pr.l1, pr.l2}},
                          {"q", pr.q},
                          {"k", pr.k},
                          {"v", pr.v},
                          {"k_term_score", pr.k_term_score}});
  j["baseline"] = baseline.mean;
  j["baseline_detail"] = {
      {"mean", baseline.mean},
      {"std", baseline.std},
      {"samples", baseline.samples},
      {"seed", baseline.seed},
      {"what",
       "composition score of random Gaussian [d_model, d_head] x [d_head, d_model] "
       "products, the shapes of W_OV and W_QK"}};
  nlohmann::ordered_json ax = nlohmann::ordered_json::array();
  for (const InductionAxis& a : axes)
    ax.push_back({{"layer", a.layer},
                  {"head", a.head},
                  {"trace", a.trace},
                  {"score", a.score},
                  {"ov_copying_score", a.ov_copying_score},
                  {"eigenvalues", eigen_json(a.eigenvalues)}});
  j["induction_qk"] = {
      {"prev_token_source", prev_token_source}, {"prev_token", prev_token}, {"heads", ax}};
  j["definitions"] = {
      {"q", "||W_OV^h1 W_QK^h2||_F / (||W_OV^h1||_F ||W_QK^h2||_F)"},
      {"k", "||W_OV^h1 (W_QK^h2)^T||_F / (||W_OV^h1||_F ||W_QK^h2||_F)"},
      {"v", "||W_OV^h1 W_OV^h2||_F / (||W_OV^h1||_F ||W_OV^h2||_F)"},
      {"k_term_score",
       "sum(l)/sum(|l|) over the eigenvalues l of W_E W_Q^h2 (W_E W_OV^h1 W_K^h2)^T"},
      {"induction_qk",
       "per later-layer head: W = sum over heads h1 of earlier layers of prev_token(h1) times "
       "that K-composition term; trace = Re sum(l), score = sum(l)/sum(|l|)"},
      {"prev_token", "indexed [layer * n_heads + head]"}};
  return j;
}

template std::vector<CompositionPair> composition_scores(const Params<float>&, const VocabGrams&);
template std::vector<CompositionPair> composition_scores(const Params<double>&, const VocabGrams&);
template std::vector<InductionAxis> induction_axes(const Params<float>&, const VocabGrams&,
                                                   const std::vector<double>&);
template std::vector<InductionAxis> induction_axes(const Params<double>&, const VocabGrams&,
                                                   const std::vector<double>&);
template std::optional<std::vector<double>> positional_previous_token(const Params<float>&);
template std::optional<std::vector<double>> positional_previous_token(const Params<double>&);

}  // namespace cs::analysis
