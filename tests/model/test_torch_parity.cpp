// The engine against an independent PyTorch implementation (python/make_reference.py wrote
// tests/data/reference.safetensors in float64): logits, per-token loss, every gradient, and the
// weights after ten AdamW steps with gradient clipping. Cases 0-6 are attention-only; 7-15 add
// MLP blocks, biases, parallel attention+MLP and partial rotary (python/README.md lists them).
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/gemm.h"
#include "io/safetensors.h"
#include "model/backward.h"
#include "model/forward.h"
#include "train/adamw.h"

namespace cs {
namespace {

const io::SafeTensors& reference() {
  static const io::SafeTensors st = io::SafeTensors::open(std::string(CS_TEST_DATA) + "/reference.safetensors");
  return st;
}

// max|ours - ref| / max|ref| over one tensor.
template <class T>
double relative_error(const std::vector<T>& ours, const std::vector<double>& ref) {
  EXPECT_EQ(ours.size(), ref.size());
  double err = 0, scale = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    err = std::max(err, std::abs(double(ours[i]) - ref[i]));
    scale = std::max(scale, std::abs(ref[i]));
  }
  return scale > 0 ? err / scale : err;
}

template <class T>
void check_case(int index, double tol_forward, double tol_adamw) {
  set_num_threads(2);
  const auto& st = reference();
  const std::string p = "case" + std::to_string(index) + ".";
  const auto meta = nlohmann::json::parse(st.metadata().at(p + "config"));
  Config c = meta.get<Config>();
  c.ln_eps = meta.at("ln_eps");  // the reference's "eps" is AdamW's, not TransformerLens's LN eps
  const int B = meta.at("batch"), Tn = meta.at("seq_len");
  Params<T> params(c);
  for (const auto& v : params.layout.views()) {
    const auto w = st.get_f64(p + v.name, v.shape);
    std::copy(w.begin(), w.end(), params.data.begin() + v.offset);
  }
  const auto tokens = st.get_i32(p + "tokens", {B, Tn + 1});

  Activations<T> acts(c, B, Tn, /*keep_logits=*/true);
  acts.set_windows(tokens.data());
  forward(params, acts);
  EXPECT_LT(relative_error(acts.logits, st.get_f64(p + "ref.logits")), tol_forward) << "logits";
  EXPECT_LT(relative_error(acts.loss, st.get_f64(p + "ref.loss_per_token")), tol_forward) << "loss";

  Params<T> grads(c);
  forward_backward(params, acts, grads);
  for (const auto& v : params.layout.views()) {
    std::vector<T> g(grads.data.begin() + v.offset, grads.data.begin() + v.offset + v.numel);
    EXPECT_LT(relative_error(g, st.get_f64(p + "ref.grad." + v.name)), tol_forward) << "grad " << v.name;
  }

  AdamWConfig oc;
  oc.beta1 = meta.at("betas")[0];
  oc.beta2 = meta.at("betas")[1];
  oc.eps = meta.at("eps");
  oc.weight_decay = meta.at("wd");
  oc.grad_clip = meta.at("clip");
  AdamW<T> opt(params.layout, oc);
  const int steps = meta.at("adamw_steps");
  for (int s = 0; s < steps; ++s) {
    forward_backward(params, acts, grads);
    opt.clip(grads);
    opt.step(params, grads, meta.at("lr").get<double>());
  }
  for (const auto& v : params.layout.views()) {
    std::vector<T> w(params.data.begin() + v.offset, params.data.begin() + v.offset + v.numel);
    EXPECT_LT(relative_error(w, st.get_f64(p + "ref.adamw10." + v.name)), tol_adamw) << "adamw " << v.name;
  }
}

// Written out rather than read from the file, so a case added there without a test here (or the
// reverse) fails ReferenceHoldsEveryCase instead of going unchecked.
constexpr int kCases = 16;

class TorchParity : public ::testing::TestWithParam<int> {};

TEST_P(TorchParity, Float32WithinParityTolerances) { check_case<float>(GetParam(), 1e-4, 1e-3); }
TEST_P(TorchParity, Float64AgreesToRoundoff) { check_case<double>(GetParam(), 1e-9, 1e-7); }

INSTANTIATE_TEST_SUITE_P(AllCases, TorchParity, ::testing::Range(0, kCases));

TEST(TorchParity, ReferenceHoldsEveryCase) {
  EXPECT_EQ(reference().metadata().at("cases"), std::to_string(kCases));
}

}  // namespace
}  // namespace cs
