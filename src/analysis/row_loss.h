#pragma once
// Cross-entropy of rows of logits, for analyses that form logits themselves (ablation sweeps).
// The float exp is written so the compiler vectorises it, and both passes keep several
// accumulators so no single add or max chain sets the pace: this runs over every vocabulary
// entry of every window row of every ablated head.
#include <bit>
#include <cmath>
#include <cstdint>

#include "core/fast_exp.h"

namespace cs::analysis {

// exp(x) for x <= 0 (softmax arguments after subtracting the row maximum).
inline float exp_nonpositive(float x) { return fast_exp(x); }
inline double exp_nonpositive(double x) { return std::exp(x); }

namespace detail {
template <bool kDiff, class T>
inline T logit(const T* a, const T* b, int64_t v) {
  if constexpr (kDiff) return a[v] - b[v];
  else return a[v];
}

template <bool kDiff, class T>
double row_loss_impl(const T* a, const T* b, int64_t V, int32_t target) {
  constexpr int64_t W = 64;  // lanes: four 16-wide float vectors
  T m[W];
  for (int64_t k = 0; k < W; ++k) m[k] = logit<kDiff>(a, b, 0);
  int64_t v = 0;
  for (; v + W <= V; v += W)
    for (int64_t k = 0; k < W; ++k) {
      const T x = logit<kDiff>(a, b, v + k);
      m[k] = x > m[k] ? x : m[k];
    }
  T mx = m[0];
  for (int64_t k = 1; k < W; ++k) mx = m[k] > mx ? m[k] : mx;
  for (int64_t t = v; t < V; ++t) mx = logit<kDiff>(a, b, t) > mx ? logit<kDiff>(a, b, t) : mx;
  T s[W] = {};
  for (v = 0; v + W <= V; v += W)
    for (int64_t k = 0; k < W; ++k) s[k] += exp_nonpositive(logit<kDiff>(a, b, v + k) - mx);
  double sum = 0;
  for (int64_t k = 0; k < W; ++k) sum += double(s[k]);
  for (int64_t t = v; t < V; ++t) sum += double(exp_nonpositive(logit<kDiff>(a, b, t) - mx));
  return double(mx) + std::log(sum) - double(logit<kDiff>(a, b, target));
}
// One pass with a given shift (the maximum of a nearby row), tracking the maximum as it goes;
// falls back to two passes when the shift was too far off for exp to stay accurate.
template <bool kDiff, class T>
double row_loss_near_impl(const T* a, const T* b, int64_t V, int32_t target, T shift) {
  constexpr int64_t W = 64;
  T m[W], s[W] = {};
  for (int64_t k = 0; k < W; ++k) m[k] = logit<kDiff>(a, b, 0);
  int64_t v = 0;
  for (; v + W <= V; v += W)
    for (int64_t k = 0; k < W; ++k) {
      const T x = logit<kDiff>(a, b, v + k);
      m[k] = x > m[k] ? x : m[k];
      s[k] += exp_nonpositive(x - shift);
    }
  T mx = m[0];
  for (int64_t k = 1; k < W; ++k) mx = m[k] > mx ? m[k] : mx;
  double sum = 0;
  for (int64_t k = 0; k < W; ++k) sum += double(s[k]);
  for (int64_t t = v; t < V; ++t) {
    const T x = logit<kDiff>(a, b, t);
    mx = x > mx ? x : mx;
    sum += double(exp_nonpositive(x - shift));
  }
  // exp_nonpositive is exact for arguments up to about 80 and the largest term is
  // exp(mx - shift): within [-30, 30] the sum is neither lost nor overflowed.
  if (!(double(mx - shift) < 30 && double(mx - shift) > -30))
    return row_loss_impl<kDiff>(a, b, V, target);
  return double(shift) + std::log(sum) - double(logit<kDiff>(a, b, target));
}
}  // namespace detail

// logsumexp(row) - row[target], in nats.
template <class T>
double row_loss(const T* row, int64_t V, int32_t target) {
  return detail::row_loss_impl<false>(row, static_cast<const T*>(nullptr), V, target);
}

// The same for the row a - b: taking the difference here saves writing ablated logits out
// before reading them back.
template <class T>
double row_loss_minus(const T* a, const T* b, int64_t V, int32_t target) {
  return detail::row_loss_impl<true>(a, b, V, target);
}

// The same two, one pass over the row, for rows whose maximum is near `shift` (ablated logits
// next to the clean ones): same result, half the reads.
template <class T>
double row_loss_near(const T* row, int64_t V, int32_t target, T shift) {
  return detail::row_loss_near_impl<false>(row, static_cast<const T*>(nullptr), V, target, shift);
}
template <class T>
double row_loss_minus_near(const T* a, const T* b, int64_t V, int32_t target, T shift) {
  return detail::row_loss_near_impl<true>(a, b, V, target, shift);
}

}  // namespace cs::analysis
