#include "analysis/eigen.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "core/gemm.h"
#include "core/parallel.h"

namespace cs::analysis {

namespace {

// C = op(A) op(B) over a long inner dimension in the weights' precision, returned in double.
template <class T>
Mat gram(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const T* A, int64_t lda, const T* B,
         int64_t ldb) {
  std::vector<T> out(size_t(M * N));
  gemm<T>(ta, tb, M, N, K, T(1), A, lda, B, ldb, T(0), out.data(), N);
  using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  return Eigen::Map<const RowMajor>(out.data(), M, N).template cast<double>();
}

// X^T X (trans) or X X^T [n, n] with X's long side K: the upper blocks of a 4 x 4 grid, mirrored
// below, so 10 of 16 blocks' work.
template <class T>
Mat symmetric_gram(bool trans, int64_t n, int64_t K, const T* X, int64_t ldx) {
  Mat out(n, n);
  const int64_t parts = n >= 64 ? 4 : 1, step = (n + parts - 1) / parts;
  for (int64_t i0 = 0; i0 < n; i0 += step)
    for (int64_t j0 = i0; j0 < n; j0 += step) {
      const int64_t ni = std::min(step, n - i0), nj = std::min(step, n - j0);
      // Rows i0.. and j0.. of X X^T are rows of X; of X^T X, columns of X.
      const T* A = trans ? X + i0 : X + i0 * ldx;
      const T* B = trans ? X + j0 : X + j0 * ldx;
      const Mat blk = gram<T>(trans, !trans, ni, nj, K, A, ldx, B, ldx);
      out.block(i0, j0, ni, nj) = blk;
      out.block(j0, i0, nj, ni) = blk.transpose();
    }
  return out;
}

// ||X W_1 W_2^T Y^T||_F^2 = tr((W_1^T G_X W_1)(W_2^T G_Y W_2)) with G = X^T X, Y^T Y.
double factored_norm(const Mat& W1, const Mat& GX, const Mat& W2, const Mat& GY) {
  const Mat a = W1.transpose() * GX * W1, b = W2.transpose() * GY * W2;
  return std::sqrt(std::max(0.0, a.cwiseProduct(b).sum()));
}

}  // namespace

template <class T>
VocabGrams vocab_grams(const Params<T>& p, bool with_unembed_gram) {
  const int64_t V = p.cfg.d_vocab, D = p.cfg.d_model;
  const T* E = p["embed.W_E"];
  const T* U = p["unembed.W_U"];
  VocabGrams g;
  g.G_E = symmetric_gram<T>(true, D, V, E, D);
  g.C = gram<T>(false, false, D, D, V, U, V, E, D);
  if (with_unembed_gram) g.G_U = symmetric_gram<T>(false, D, V, U, V);
  if (p.cfg.has_pos_embed()) {
    const T* P = p["pos_embed.W_pos"];
    g.G_pos = gram<T>(true, false, D, D, p.cfg.n_ctx, P, D, P, D);
  }
  return g;
}

FactoredMatrix OV_loop(const HeadWeights& w, const VocabGrams& g) { return FactoredMatrix(w.W_V, w.W_O * g.C); }
FactoredMatrix QK_loop(const HeadWeights& w, const VocabGrams& g) {
  return FactoredMatrix(w.W_Q, w.W_K.transpose() * g.G_E);
}

HeadSpectrum head_spectrum(const Config& cfg, const HeadWeights& w, const VocabGrams& g, int layer,
                           int head) {
  HeadSpectrum s;
  s.layer = layer;
  s.head = head;
  s.ov_eigenvalues = OV_loop(w, g).eigenvalues();
  s.qk_eigenvalues = QK_loop(w, g).eigenvalues();
  s.ov_copying_score = copying_score(s.ov_eigenvalues);
  s.qk_copying_score = copying_score(s.qk_eigenvalues);
  if (g.G_U.size() > 0) {
    // OV = (W_E W_V)(W_O W_U): ||.||^2 = tr((W_V^T G_E W_V)(W_O G_U W_O^T)).
    s.ov_norm = factored_norm(w.W_V, g.G_E, w.W_O.transpose(), g.G_U);
  } else {
    s.ov_norm = std::numeric_limits<double>::quiet_NaN();
  }
  for (QKPart part : qk_parts(cfg)) {
    const bool pos_dest = part == QKPart::position_token || part == QKPart::position_position;
    const bool pos_src = part == QKPart::token_position || part == QKPart::position_position;
    s.qk_part_norms.push_back(
        factored_norm(w.W_Q, pos_dest ? g.G_pos : g.G_E, w.W_K, pos_src ? g.G_pos : g.G_E));
  }
  return s;
}

template <class T>
std::vector<HeadSpectrum> all_head_spectra(const Params<T>& p, const VocabGrams& g) {
  const int H = p.cfg.n_heads, n = p.cfg.n_layers * H;
  std::vector<HeadSpectrum> out(static_cast<size_t>(n));
  FirstError error;  // a solver that does not converge (non-finite weights) throws
#pragma omp parallel for schedule(dynamic, 1)
  for (int i = 0; i < n; ++i) try {
      out[size_t(i)] = head_spectrum(p.cfg, head_weights(p, i / H, i % H), g, i / H, i % H);
    } catch (...) {
      error.capture();
    }
  error.rethrow();
  return out;
}

template VocabGrams vocab_grams(const Params<float>&, bool);
template VocabGrams vocab_grams(const Params<double>&, bool);
template std::vector<HeadSpectrum> all_head_spectra(const Params<float>&, const VocabGrams&);
template std::vector<HeadSpectrum> all_head_spectra(const Params<double>&, const VocabGrams&);

}  // namespace cs::analysis
