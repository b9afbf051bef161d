#include "analysis/ablation_last_block.h"

#include "core/gemm.h"
#include "model/forward.h"
#include "model/ops/layernorm.h"
#include "model/ops/mlp.h"

namespace cs::analysis::detail {

int64_t head_variant(const Config& c, int layer, int head) { return 1 + int64_t(layer) * c.n_heads + head; }

int64_t mlp_variant(const Config& c, int layer, HeadAblation::Kind kind) {
  return 1 + int64_t(c.n_layers) * c.n_heads + (kind == HeadAblation::Kind::mean ? c.n_layers : 0) + layer;
}

namespace {

template <class T>
struct LastBlock {
  const Params<T>& params;
  const Activations<T>& clean;
  const WindowRows& w;
  const Config& c = params.cfg;
  const int l = c.n_layers - 1;
  const int64_t n = clean.B * w.size(), D = c.d_model, M = c.d_mlp;
  std::vector<T> attn, stream, normed, pre, post, mlp, mean, rstd;

  // Row r of the window rows is this row of the pass.
  int64_t row(int64_t r) const { return (r / w.size()) * clean.Tn + w.pos[size_t(r % w.size())]; }

  std::vector<T> gather(const std::vector<T>& src) const {
    std::vector<T> out(size_t(n * D));
    for (int64_t r = 0; r < n; ++r) std::copy_n(src.data() + row(r) * D, D, out.data() + r * D);
    return out;
  }

  void layernorm(const T* x, T* y, int64_t w_at, int64_t b_at) {
    mean.resize(size_t(n));
    rstd.resize(size_t(n));
    layernorm_forward(x, y, mean.data(), rstd.data(), params.maybe(w_at), params.maybe(b_at), n, D, c.ln_eps);
  }

  // stream = block input + attn (+ the MLP of that, or the given MLP output), ready for W_U.
  void finish(const std::vector<T>& block_in, const std::vector<T>* mlp_out) {
    const auto& blk = params.layout.blocks[size_t(l)];
    stream.resize(size_t(n * D));
    for (int64_t i = 0; i < n * D; ++i) stream[size_t(i)] = block_in[size_t(i)] + attn[size_t(i)];
    if (!mlp_out) {
      // Sequential blocks: the MLP reads the changed resid_mid.
      const T* x = stream.data();
      if (c.normalized()) {
        normed.resize(size_t(n * D));
        layernorm(stream.data(), normed.data(), blk.ln2_w, blk.ln2_b);
        x = normed.data();
      }
      pre.resize(size_t(n * M));
      post.resize(size_t(n * M));
      mlp.resize(size_t(n * D));
      mlp_forward(x, mlp_weights(params, l), c.act_fn, pre.data(), post.data(), mlp.data(), n, D, M);
      mlp_out = &mlp;
    }
    for (int64_t i = 0; i < n * D; ++i) stream[size_t(i)] += (*mlp_out)[size_t(i)];
    if (c.normalized()) layernorm(stream.data(), stream.data(), params.layout.ln_final_w, params.layout.ln_final_b);
  }
};

}  // namespace

template <class T>
void last_block_variants(const Params<T>& params, const Activations<T>& clean, const WindowRows& w,
                         const std::vector<int32_t>& targets, std::vector<T>& logits,
                         std::vector<double>& losses, IclSums& sums) {
  LastBlock<T> b{params, clean, w};
  const Config& c = params.cfg;
  const int l = b.l, H = c.n_heads;
  const int64_t n = b.n, D = c.d_model, K = c.d_head;
  const std::vector<T> block_in = b.gather(clean.resid[size_t(l)]);
  const std::vector<T> attn = b.gather(clean.attn_out[size_t(l)]);
  const std::vector<T> mlp_clean = b.gather(clean.mlp_out[size_t(l)]);
  auto add = [&](int64_t variant) {
    losses.resize(size_t(n));
    window_losses(params, b.stream.data(), targets.data(), n, logits, losses.data());
    add_window_means(losses.data(), clean.B, w, sums.early[size_t(variant)], sums.late[size_t(variant)]);
  };
  std::vector<T> z(size_t(n * K));
  for (int h = 0; h < H; ++h) {
    b.attn = attn;
    for (int64_t r = 0; r < n; ++r)
      std::copy_n(clean.z[size_t(l)].data() + b.row(r) * H * K + h * K, K, z.data() + r * K);
    gemm<T>(false, false, n, D, K, T(-1), z.data(), K, params.ptr(params.layout.blocks[size_t(l)].W_O) + h * K * D,
            D, T(1), b.attn.data(), D);
    b.finish(block_in, c.parallel_attn_mlp ? &mlp_clean : nullptr);
    add(head_variant(c, l, h));
  }
  // The MLP's output replaced: zero, or its mean over every row of the pass.
  std::vector<double> mean(size_t(D), 0.0);
  for (int64_t r = 0; r < clean.rows(); ++r)
    for (int64_t d = 0; d < D; ++d) mean[size_t(d)] += double(clean.mlp_out[size_t(l)][size_t(r * D + d)]);
  b.attn = attn;
  for (auto kind : {HeadAblation::Kind::zero, HeadAblation::Kind::mean}) {
    std::vector<T> repl(size_t(n * D), T(0));
    if (kind == HeadAblation::Kind::mean)
      for (int64_t i = 0; i < n * D; ++i) repl[size_t(i)] = T(mean[size_t(i % D)] / double(clean.rows()));
    b.finish(block_in, &repl);
    add(mlp_variant(c, l, kind));
  }
}

template void last_block_variants<float>(const Params<float>&, const Activations<float>&, const WindowRows&,
                                         const std::vector<int32_t>&, std::vector<float>&,
                                         std::vector<double>&, IclSums&);
template void last_block_variants<double>(const Params<double>&, const Activations<double>&, const WindowRows&,
                                          const std::vector<int32_t>&, std::vector<double>&,
                                          std::vector<double>&, IclSums&);

}  // namespace cs::analysis::detail
