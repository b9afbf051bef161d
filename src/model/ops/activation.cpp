#include "model/ops/activation.h"

#include <cmath>
#include <cstring>
#include <type_traits>

#include "core/fast_exp.h"
#include "core/parallel.h"

namespace cs {

namespace {

constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;
constexpr double kSqrt2OverPi = 0.79788456080286535588;
constexpr double kGeluNewCubic = 0.044715;

// The float formulas are written once for V = a vector of 16 floats (GCC's vector extensions:
// the compiler does not vectorise exp-based loops by itself, the MLP's activations would cost as
// much as its products) and for single floats, the tail. Double, for the gradient checks, uses
// libm.
template <class V>
V splat(float x) {
  return V{} + x;
}

// erf by Abramowitz & Stegun 7.1.26, |error| < 1.5e-7.
template <class V>
V erf_approx(V x) {
  const V a = x < 0.f ? -x : x;
  const V t = 1.f / (1.f + 0.3275911f * a);
  const V poly =
      t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f))));
  const V y = 1.f - poly * fast_exp(V{} - a * a);
  return x < 0.f ? -y : y;
}

// tanh from one exp: 1 - 2 / (1 + e^{2x}); saturates cleanly because fast_exp clamps.
template <class V>
V tanh_approx(V x) {
  return 1.f - 2.f / (1.f + fast_exp(2.f * x));
}

template <ActFn A, class V>
V act_value(V u) {
  if constexpr (std::is_same_v<V, double>) {
    if constexpr (A == ActFn::gelu) return 0.5 * u * (1 + std::erf(u * kInvSqrt2));
    if constexpr (A == ActFn::gelu_new) return 0.5 * u * (1 + std::tanh(kSqrt2OverPi * (u + kGeluNewCubic * u * u * u)));
    if constexpr (A == ActFn::relu) return u > 0 ? u : 0.0;
  } else {
    if constexpr (A == ActFn::gelu) return 0.5f * u * (1.f + erf_approx(u * float(kInvSqrt2)));
    if constexpr (A == ActFn::gelu_new)
      return 0.5f * u * (1.f + tanh_approx(float(kSqrt2OverPi) * (u + float(kGeluNewCubic) * u * u * u)));
    if constexpr (A == ActFn::relu) return u > 0.f ? u : splat<V>(0.f);
  }
}

template <ActFn A, class V>
V act_slope(V u) {
  if constexpr (std::is_same_v<V, double>) {
    if constexpr (A == ActFn::gelu) return 0.5 * (1 + std::erf(u * kInvSqrt2)) + u * kInvSqrt2Pi * std::exp(-0.5 * u * u);
    if constexpr (A == ActFn::gelu_new) {
      const double th = std::tanh(kSqrt2OverPi * (u + kGeluNewCubic * u * u * u));
      return 0.5 * (1 + th) + 0.5 * u * (1 - th * th) * kSqrt2OverPi * (1 + 3 * kGeluNewCubic * u * u);
    }
    if constexpr (A == ActFn::relu) return u > 0 ? 1.0 : 0.0;
  } else {
    if constexpr (A == ActFn::gelu)
      return 0.5f * (1.f + erf_approx(u * float(kInvSqrt2))) + u * float(kInvSqrt2Pi) * fast_exp(-0.5f * u * u);
    if constexpr (A == ActFn::gelu_new) {
      const V th = tanh_approx(float(kSqrt2OverPi) * (u + float(kGeluNewCubic) * u * u * u));
      return 0.5f * (1.f + th) + 0.5f * u * (1.f - th * th) * float(kSqrt2OverPi) * (1.f + float(3 * kGeluNewCubic) * u * u);
    }
    if constexpr (A == ActFn::relu) return u > 0.f ? splat<V>(1.f) : splat<V>(0.f);
  }
}

// out[i] = f(in[i]) (times scale[i] when given), 16 floats at a time where possible.
template <class T, class VecFn, class OneFn>
void map(const T* in, const T* scale, T* out, int64_t n, VecFn vec, OneFn one) {
  constexpr int64_t W = std::is_same_v<T, float> ? 16 : 1;
  const int64_t blocks = n / W;
#pragma omp parallel for schedule(static) if (n > kParallelWork)
  for (int64_t b = 0; b < blocks; ++b) {
    if constexpr (W == 16) {
      Vec16f x, s = splat<Vec16f>(1.f);
      std::memcpy(&x, in + b * W, sizeof x);
      if (scale) std::memcpy(&s, scale + b * W, sizeof s);
      const Vec16f y = vec(x) * s;
      std::memcpy(out + b * W, &y, sizeof y);
    } else {
      out[b] = one(in[b]) * (scale ? scale[b] : T(1));
    }
  }
  for (int64_t i = blocks * W; i < n; ++i) out[i] = one(in[i]) * (scale ? scale[i] : T(1));
}

// Calls f with the activation as a compile-time constant, so each loop body is branch-free.
template <class F>
void with_act(ActFn act, F&& f) {
  switch (act) {
    case ActFn::gelu: return f(std::integral_constant<ActFn, ActFn::gelu>{});
    case ActFn::gelu_new: return f(std::integral_constant<ActFn, ActFn::gelu_new>{});
    case ActFn::relu: return f(std::integral_constant<ActFn, ActFn::relu>{});
  }
}

}  // namespace

template <class T>
void activation_forward(ActFn act, const T* pre, T* post, int64_t n) {
  with_act(act, [=](auto a) {
    constexpr ActFn A = decltype(a)::value;
    map(pre, static_cast<const T*>(nullptr), post, n, [](Vec16f x) { return act_value<A>(x); },
        [](T x) { return act_value<A>(x); });
  });
}

template <class T>
void activation_backward(ActFn act, const T* pre, const T* d_post, T* d_pre, int64_t n) {
  with_act(act, [=](auto a) {
    constexpr ActFn A = decltype(a)::value;
    map(pre, d_post, d_pre, n, [](Vec16f x) { return act_slope<A>(x); }, [](T x) { return act_slope<A>(x); });
  });
}

template void activation_forward<float>(ActFn, const float*, float*, int64_t);
template void activation_forward<double>(ActFn, const double*, double*, int64_t);
template void activation_backward<float>(ActFn, const float*, const float*, float*, int64_t);
template void activation_backward<double>(ActFn, const double*, const double*, double*, int64_t);

}  // namespace cs
