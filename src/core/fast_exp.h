#pragma once
// exp() that the compiler can vectorise: softmax over the attention rows and over the vocabulary
// spends most of its time here, and the libm call is scalar. Cephes-style: range reduction to
// [-ln2/2, ln2/2], degree-6 polynomial, exponent by bit construction; relative error < 2e-7 on
// [-87, 88]. double (used by the gradient checks) keeps std::exp.
#include <bit>
#include <cmath>
#include <cstdint>

namespace cs {

inline float fast_exp(float x) {
  x = std::fmin(std::fmax(x, -87.0f), 88.0f);
  const float fx = std::floor(x * 1.44269504088896341f + 0.5f);
  const float r = x - fx * 0.693359375f + fx * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float y = p * r * r + r + 1.0f;
  const int32_t e = (int32_t(fx) + 127) << 23;
  return y * std::bit_cast<float>(e);
}

inline double fast_exp(double x) { return std::exp(x); }

}  // namespace cs
