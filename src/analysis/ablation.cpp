#include "analysis/ablation.h"

#include <omp.h>

#include <algorithm>
#include <exception>
#include <limits>
#include <optional>

#include "analysis/ablation_last_block.h"
#include "analysis/ablation_windows.h"
#include "analysis/row_loss.h"
#include "analysis/snapshot_sweep.h"
#include "core/error.h"
#include "core/parallel.h"
#include "core/gemm.h"
#include "model/forward.h"
#include "model/ops/bias.h"
#include "model/ops/layernorm.h"

namespace cs::analysis {

namespace detail {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}  // namespace

WindowRows::WindowRows(const IclPositions& p) {
  for (int64_t i = p.early_window.first; i <= p.early_window.last; ++i) pos.push_back(i);
  for (int64_t i = p.late_window.first; i <= p.late_window.last; ++i) pos.push_back(i);
  n_early = p.early_window.size();
  n_late = p.late_window.size();
  seq_len = p.late_window.last + 1;
}

void check_eval_windows(const Config& cfg, const std::vector<int32_t>& windows, int64_t n_eval,
                        int64_t width, const IclPositions& p) {
  CS_CHECK(n_eval >= 1, "ablation needs at least one evaluation sequence");
  CS_CHECK(int64_t(windows.size()) == n_eval * width,
           "evaluation sequences hold " << windows.size() << " tokens, expected " << n_eval << " x "
                                        << width);
  CS_CHECK(p.early_window.first >= 0 && p.early_window.last < p.late_window.first,
           "ICL windows must be ordered and non-negative");
  CS_CHECK(width >= p.late_window.last + 2,
           "evaluation sequences of " << width << " tokens cannot give the loss at position "
                                      << p.late_window.last << " (it predicts token "
                                      << p.late_window.last + 1 << ")");
  CS_CHECK(p.late_window.last + 1 <= cfg.n_ctx,
           "late window ends at position " << p.late_window.last << ", beyond n_ctx " << cfg.n_ctx);
  for (int32_t t : windows)
    CS_CHECK(t >= 0 && t < cfg.d_vocab, "evaluation token " << t
                                                            << " is not in the model's vocabulary [0, "
                                                            << cfg.d_vocab << ")");
}

void chunk_tokens(const std::vector<int32_t>& windows, int64_t width, int64_t b0, int64_t c,
                  const WindowRows& w, std::vector<int32_t>& inputs, std::vector<int32_t>& targets) {
  inputs.resize(size_t(c * w.seq_len));
  targets.resize(size_t(c * w.size()));
  for (int64_t b = 0; b < c; ++b) {
    const int32_t* row = windows.data() + (b0 + b) * width;
    std::copy_n(row, w.seq_len, inputs.data() + b * w.seq_len);
    for (int64_t r = 0; r < w.size(); ++r) targets[size_t(b * w.size() + r)] = row[w.pos[size_t(r)] + 1];
  }
}

template <class T>
void window_losses(const Params<T>& params, const T* stream_rows, const int32_t* targets,
                   int64_t rows, std::vector<T>& logits, double* losses) {
  const int64_t D = params.cfg.d_model, V = params.cfg.d_vocab;
  logits.resize(size_t(rows * V));
  gemm<T>(false, false, rows, V, D, T(1), stream_rows, D, params["unembed.W_U"], V, T(0),
          logits.data(), V);
  if (params.cfg.biases) bias_forward(logits.data(), params["unembed.b_U"], rows, V, V);
  for (int64_t r = 0; r < rows; ++r) losses[r] = row_loss(logits.data() + r * V, V, targets[r]);
}

void add_window_means(const double* losses, int64_t c, const WindowRows& w, double& early_sum,
                      double& late_sum) {
  for (int64_t b = 0; b < c; ++b) {
    const double* l = losses + b * w.size();
    double e = 0, t = 0;
    for (int64_t r = 0; r < w.n_early; ++r) e += l[r];
    for (int64_t r = w.n_early; r < w.size(); ++r) t += l[r];
    early_sum += e / double(w.n_early);
    late_sum += t / double(w.n_late);
  }
}

HeadAblationIcl IclSums::result(const Config& c, int64_t n_eval, AblationKind kind,
                                const std::vector<bool>& ablated) const {
  HeadAblationIcl r;
  r.n_layers = c.n_layers;
  r.n_heads = c.n_heads;
  r.n_eval = n_eval;
  r.kind = kind;
  const double n = double(n_eval);
  r.clean_early = early[0] / n;
  r.clean_late = late[0] / n;
  r.clean_icl = r.clean_late - r.clean_early;
  const size_t heads = size_t(1 + c.n_layers * c.n_heads);
  for (size_t v = 1; v < heads; ++v) {
    const bool done = ablated.empty() || ablated[v - 1];
    r.early.push_back(done ? early[v] / n : kNaN);
    r.late.push_back(done ? late[v] / n : kNaN);
    r.icl.push_back(r.late.back() - r.early.back());
  }
  // Then, in models with MLPs, each layer's MLP zeroed, then each replaced by its mean.
  for (size_t v = heads; v < early.size(); ++v) {
    auto& icl = v < heads + size_t(c.n_layers) ? r.mlp_zero_icl : r.mlp_mean_icl;
    icl.push_back((late[v] - early[v]) / n);
  }
  return r;
}

void IclSums::merge(const IclSums& o) {
  for (size_t i = 0; i < early.size(); ++i) {
    early[i] += o.early[i];
    late[i] += o.late[i];
  }
}

template void window_losses<float>(const Params<float>&, const float*, const int32_t*, int64_t,
                                   std::vector<float>&, double*);
template void window_losses<double>(const Params<double>&, const double*, const int32_t*, int64_t,
                                    std::vector<double>&, double*);

}  // namespace detail

using namespace detail;

std::string to_string(AblationKind kind) {
  return kind == AblationKind::full ? "full" : "pattern-preserving";
}

std::vector<double> HeadAblationIcl::delta_icl() const {
  std::vector<double> d;
  for (double x : icl) d.push_back(x - clean_icl);
  return d;
}

double HeadAblationIcl::delta_icl(int layer, int head) const {
  CS_CHECK(layer >= 0 && layer < n_layers, "layer " << layer << " out of range [0, " << n_layers << ")");
  CS_CHECK(head >= 0 && head < n_heads, "head " << head << " out of range [0, " << n_heads << ")");
  return icl[size_t(layer * n_heads + head)] - clean_icl;
}

bool linear_path_applies(const Config& cfg, AblationKind kind) {
  return kind == AblationKind::pattern_preserving && !cfg.normalized() && cfg.attn_only() && !cfg.biases;
}

int64_t ablation_variants(const Config& c) {
  return 1 + int64_t(c.n_layers) * c.n_heads + (c.attn_only() ? 0 : 2 * int64_t(c.n_layers));
}

std::vector<double> HeadAblationIcl::mlp_delta_icl(HeadAblation::Kind kind) const {
  std::vector<double> d;
  for (double x : kind == HeadAblation::Kind::zero ? mlp_zero_icl : mlp_mean_icl) d.push_back(x - clean_icl);
  return d;
}

namespace {


// Window-row losses of a pass, added to variant v's sums.
template <class T>
void add_pass(const Params<T>& params, const Activations<T>& acts, const WindowRows& w,
              const std::vector<int32_t>& targets, std::vector<T>& rows, std::vector<T>& logits,
              std::vector<double>& losses, IclSums& sums, size_t v) {
  const int64_t c = acts.B, D = params.cfg.d_model, nw = w.size();
  rows.resize(size_t(c * nw * D));
  const T* x = acts.final_input();
  for (int64_t b = 0; b < c; ++b)
    for (int64_t r = 0; r < nw; ++r)
      std::copy_n(x + (b * acts.Tn + w.pos[size_t(r)]) * D, D, rows.data() + (b * nw + r) * D);
  losses.resize(size_t(c * nw));
  window_losses(params, rows.data(), targets.data(), c * nw, logits, losses.data());
  add_window_means(losses.data(), c, w, sums.early[v], sums.late[v]);
}

// With patterns frozen, the ICL score reads the final stream only at the window rows, and the
// last layer's output at a row needs the values of every earlier position but nothing else of
// them. These passes compute just that, for ablations in the last two layers.
template <class T>
struct RowPass {
  const Params<T>& params;
  const Activations<T>& clean;
  const WindowRows& w;
  std::vector<T> normed, v, z, rows, mean, rstd;

  int64_t n_rows() const { return clean.B * w.size(); }
  int64_t row(int64_t r) const { return (r / w.size()) * clean.Tn + w.pos[size_t(r % w.size())]; }

  // rows (post-LayerNorm, ready for W_U) = final stream at the window rows, given the stream
  // itself at those rows in rows.
  void finish() {
    const Config& c = params.cfg;
    if (!c.normalized()) return;
    const int64_t n = n_rows(), D = c.d_model;
    mean.resize(size_t(n));
    rstd.resize(size_t(n));
    const auto& lay = params.layout;
    layernorm_forward(rows.data(), rows.data(), mean.data(), rstd.data(),
                      c.has_ln_params() ? params.ptr(lay.ln_final_w) : nullptr,
                      c.has_ln_params() ? params.ptr(lay.ln_final_b) : nullptr, n, D, c.ln_eps);
  }

  // rows -= head (l, h)'s clean result at the window rows.
  void subtract_result(int l, int h) {
    const int64_t n = n_rows(), D = params.cfg.d_model, K = params.cfg.d_head, H = params.cfg.n_heads;
    z.resize(size_t(n * K));
    for (int64_t r = 0; r < n; ++r)
      std::copy_n(clean.z[size_t(l)].data() + row(r) * H * K + h * K, K, z.data() + r * K);
    gemm<T>(false, false, n, D, K, T(-1), z.data(), K,
            params.ptr(params.layout.blocks[size_t(l)].W_O) + h * K * D, D, T(1), rows.data(), D);
  }

  // Ablating head h of the last layer: the clean final stream minus its result.
  void last_layer_head(int h) {
    const int L = params.cfg.n_layers;
    const int64_t n = n_rows(), D = params.cfg.d_model;
    rows.resize(size_t(n * D));
    for (int64_t r = 0; r < n; ++r)
      std::copy_n(clean.resid[size_t(L)].data() + row(r) * D, D, rows.data() + r * D);
    subtract_result(L - 1, h);
    finish();
  }

  // The last layer run on input stream [B * Tn, D] with the clean patterns, at the window rows.
  void last_layer(const T* stream) {
    const Config& c = params.cfg;
    const int l = c.n_layers - 1;
    const int64_t R = clean.rows(), D = c.d_model, H = c.n_heads, K = c.d_head, Tn = clean.Tn;
    const auto& blk = params.layout.blocks[size_t(l)];
    const T* a = stream;
    if (c.normalized()) {
      normed.resize(size_t(R * D));
      mean.resize(size_t(R));
      rstd.resize(size_t(R));
      layernorm_forward(stream, normed.data(), mean.data(), rstd.data(),
                        c.has_ln_params() ? params.ptr(blk.ln1_w) : nullptr,
                        c.has_ln_params() ? params.ptr(blk.ln1_b) : nullptr, R, D, c.ln_eps);
      a = normed.data();
    }
    v.resize(size_t(R * H * K));
    for (int h = 0; h < H; ++h)
      gemm<T>(false, false, R, K, D, T(1), a, D, params.ptr(blk.W_V) + h * D * K, K, T(0),
              v.data() + h * K, H * K);
    const int64_t n = n_rows(), nw = w.size();
    z.resize(size_t(n * H * K));
    // Each window is a run of consecutive positions: one pattern-times-values product per run,
    // over the keys up to its last query (later keys have zero weight).
    for (int64_t b = 0; b < clean.B; ++b)
      for (int64_t r0 = 0; r0 < nw;) {
        int64_t r1 = r0 + 1;
        while (r1 < nw && w.pos[size_t(r1)] == w.pos[size_t(r1 - 1)] + 1) ++r1;
        const int64_t i0 = w.pos[size_t(r0)], keys = w.pos[size_t(r1 - 1)] + 1;
        for (int h = 0; h < H; ++h)
          gemm<T>(false, false, r1 - r0, K, keys, T(1),
                  clean.pattern[size_t(l)].data() + ((b * H + h) * Tn + i0) * Tn, Tn,
                  v.data() + b * Tn * H * K + h * K, H * K, T(0),
                  z.data() + (b * nw + r0) * H * K + h * K, H * K);
        r0 = r1;
      }
    rows.resize(size_t(n * D));
    for (int64_t r = 0; r < n; ++r) std::copy_n(stream + row(r) * D, D, rows.data() + r * D);
    gemm<T>(false, false, n, D, H * K, T(1), z.data(), H * K, params.ptr(blk.W_O), D, T(1),
            rows.data(), D);
    finish();
  }
};

template <class T>
void add_rows(const Params<T>& params, const std::vector<T>& rows, const WindowRows& w, int64_t c,
              const std::vector<int32_t>& targets, std::vector<T>& logits,
              std::vector<double>& losses, IclSums& sums, size_t v) {
  losses.resize(size_t(c * w.size()));
  window_losses(params, rows.data(), targets.data(), c * w.size(), logits, losses.data());
  add_window_means(losses.data(), c, w, sums.early[v], sums.late[v]);
}

// Every variant as a pass from the layer it changes, on the clean stream there: what a model
// with MLPs (whose blocks are not linear in a head's result) or biases needs. The last block's
// variants of a model with MLPs need only the window rows.
template <class T>
void variants_by_passes(const Params<T>& params, const Activations<T>& clean, Activations<T>& var,
                        bool frozen, const WindowRows& w, const std::vector<int32_t>& targets,
                        std::vector<T>& rows, std::vector<T>& logits, std::vector<double>& losses,
                        IclSums& sums, const std::vector<bool>& ablated) {
  const Config& c = params.cfg;
  const int last = c.attn_only() ? c.n_layers : c.n_layers - 1;
  auto pass_from = [&](int l, std::vector<HeadAblation> heads, std::vector<MlpAblation> mlps, int64_t variant) {
    Interventions<T> iv;
    if (frozen) iv.freeze_patterns = &clean;
    iv.resid_layer = l;
    iv.resid_value = clean.resid[size_t(l)].data();
    iv.start_at_resid_layer = true;
    iv.ablate = std::move(heads);
    iv.ablate_mlp = std::move(mlps);
    forward(params, var, &iv);
    add_pass(params, var, w, targets, rows, logits, losses, sums, size_t(variant));
  };
  for (int l = 0; l < last; ++l)
    for (int h = 0; h < c.n_heads; ++h)
      if (ablated.empty() || ablated[size_t(l * c.n_heads + h)])
        pass_from(l, {{l, h, HeadAblation::Kind::zero}}, {}, head_variant(c, l, h));
  if (c.attn_only()) return;
  for (auto kind : {HeadAblation::Kind::zero, HeadAblation::Kind::mean})
    for (int l = 0; l < last; ++l) pass_from(l, {}, {{l, kind}}, mlp_variant(c, l, kind));
  last_block_variants(params, clean, w, targets, logits, losses, sums);
}

// Attention-only models without biases: zeroing head (l, h) leaves layers 0..l as they were, so
// each pass starts at layer l + 1 from the clean stream minus the head's result; with frozen
// patterns the last two layers' heads need only the window rows (RowPass).
template <class T>
void head_passes(const Params<T>& params, Activations<T>& clean, std::optional<Activations<T>>& var, bool frozen,
                 const WindowRows& w, const std::vector<int32_t>& inputs, const std::vector<int32_t>& targets,
                 std::vector<T>& stream, std::vector<T>& rows, std::vector<T>& logits, std::vector<double>& losses,
                 IclSums& sums, const std::vector<bool>& ablated) {
  const Config& c = params.cfg;
  const int L = c.n_layers, H = c.n_heads;
  const int64_t nb = clean.B;
  Interventions<T> iv;
  if (frozen) iv.freeze_patterns = &clean;
  const int64_t R = clean.rows(), D = c.d_model, K = c.d_head;
  stream.resize(size_t(R * D));
  iv.resid_value = stream.data();
  iv.start_at_resid_layer = true;
  RowPass<T> at_rows{params, clean, w, {}, {}, {}, {}, {}, {}};
  for (int l = 0; l < L; ++l)
    for (int h = 0; h < H; ++h) {
      const size_t variant = size_t(1 + l * H + h);
      if (!ablated.empty() && !ablated[variant - 1]) continue;  // left out by the work budget
      if (frozen && l == L - 1) {
        at_rows.last_layer_head(h);
        add_rows(params, at_rows.rows, w, nb, targets, logits, losses, sums, variant);
        continue;
      }
      const std::vector<T>& after = clean.resid[size_t(l + 1)];
      std::copy(after.begin(), after.end(), stream.begin());
      gemm<T>(false, false, R, D, K, T(-1), clean.z[size_t(l)].data() + h * K, H * K,
              params.ptr(params.layout.blocks[size_t(l)].W_O) + h * K * D, D, T(1), stream.data(), D);
      if (frozen && l == L - 2) {
        at_rows.last_layer(stream.data());
        add_rows(params, at_rows.rows, w, nb, targets, logits, losses, sums, variant);
        continue;
      }
      if (!var) var.emplace(c, nb, w.seq_len);
      var->set_tokens(inputs.data());
      iv.resid_layer = l + 1;
      forward(params, *var, &iv);
      add_pass(params, *var, w, targets, rows, logits, losses, sums, variant);
    }
}

}  // namespace

template <class T>
HeadAblationIcl ablate_heads_icl(const Params<T>& params, const std::vector<int32_t>& windows,
                                 int64_t n_eval, int64_t width, const IclPositions& positions,
                                 AblationKind kind, int batch, const std::vector<bool>& ablated) {
  const Config& c = params.cfg;
  CS_CHECK(ablated.empty() || int64_t(ablated.size()) == int64_t(c.n_layers) * c.n_heads,
           "ablation head mask holds " << ablated.size() << " entries, expected one per head");
  check_eval_windows(c, windows, n_eval, width, positions);
  CS_CHECK(batch >= 1, "ablation batch must be at least 1, got " << batch);
  const WindowRows w(positions);
  const int64_t n_chunks = (n_eval + batch - 1) / batch;
  IclSums total(ablation_variants(c));
  FirstError error;
  const bool frozen = kind == AblationKind::pattern_preserving;
  // Buffers live per thread across chunks: a sweep runs thousands of chunks, and allocating the
  // caches for each one showed up as a tenth of the time in page faults.
#pragma omp parallel if (!omp_in_parallel() && n_chunks > 1)
  {
    std::optional<Activations<T>> clean, var;
    std::vector<T> rows, logits, stream;
    std::vector<double> losses;
    std::vector<int32_t> inputs, targets;
#pragma omp for schedule(dynamic, 1)
    for (int64_t k = 0; k < n_chunks; ++k) {
      try {
        const int64_t b0 = k * batch, nb = std::min<int64_t>(batch, n_eval - b0);
        chunk_tokens(windows, width, b0, nb, w, inputs, targets);
        if (!clean || clean->B != nb) {
          clean.emplace(c, nb, w.seq_len);
          var.reset();
        }
        clean->set_tokens(inputs.data());
        forward(params, *clean);
        IclSums sums(ablation_variants(c));
        add_pass(params, *clean, w, targets, rows, logits, losses, sums, 0);
        if (!c.attn_only() || c.biases) {
          if (!var) var.emplace(c, nb, w.seq_len);
          var->set_tokens(inputs.data());
          variants_by_passes(params, *clean, *var, frozen, w, targets, rows, logits, losses, sums, ablated);
#pragma omp critical(cs_ablation_sums)
          total.merge(sums);
          continue;
        }
        head_passes(params, *clean, var, frozen, w, inputs, targets, stream, rows, logits, losses, sums, ablated);
#pragma omp critical(cs_ablation_sums)
        total.merge(sums);
      } catch (...) {
        error.capture();
      }
    }
  }
  error.rethrow();
  return total.result(c, n_eval, kind, ablated);
}

IclAblationSweep icl_ablation_sweep(int64_t n_snapshots,
                                    const std::function<Params<float>(int64_t)>& load,
                                    const std::vector<int32_t>& windows, int64_t n_eval,
                                    int64_t width, const IclPositions& positions,
                                    AblationKind kind, int batch, const std::vector<bool>& ablated) {
  CS_CHECK(n_snapshots >= 1, "no snapshots to ablate");
  const Params<float> first = load(0);
  const Config c = first.cfg;
  check_eval_windows(c, windows, n_eval, width, positions);
  const bool linear = linear_path_applies(c, kind);
  IclAblationSweep out;
  out.n_layers = c.n_layers;
  out.n_heads = c.n_heads;
  out.n_eval = n_eval;
  out.kind = kind;
  out.method = linear ? "linear" : "interventions";
  out.snapshots.resize(size_t(n_snapshots));
  for_each_snapshot(n_snapshots, load, first, [&](int64_t i, const Params<float>& p) {
    out.snapshots[size_t(i)] =
        linear ? ablate_heads_icl_linear(p, windows, n_eval, width, positions, batch)
               : ablate_heads_icl(p, windows, n_eval, width, positions, kind, batch, ablated);
  });
  for (const HeadAblationIcl& s : out.snapshots) {
    out.clean_icl.push_back(s.clean_icl);
    const std::vector<double> d = s.delta_icl();
    out.delta_icl.insert(out.delta_icl.end(), d.begin(), d.end());
    for (auto k : {HeadAblation::Kind::zero, HeadAblation::Kind::mean}) {
      const std::vector<double> m = s.mlp_delta_icl(k);
      out.mlp_delta_icl.insert(out.mlp_delta_icl.end(), m.begin(), m.end());
    }
  }
  return out;
}

template HeadAblationIcl ablate_heads_icl<float>(const Params<float>&, const std::vector<int32_t>&,
                                                 int64_t, int64_t, const IclPositions&,
                                                 AblationKind, int, const std::vector<bool>&);
template HeadAblationIcl ablate_heads_icl<double>(const Params<double>&,
                                                  const std::vector<int32_t>&, int64_t, int64_t,
                                                  const IclPositions&, AblationKind, int,
                                                  const std::vector<bool>&);

}  // namespace cs::analysis
