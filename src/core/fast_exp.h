#pragma once
// exp() that the compiler can vectorise: softmax over the attention rows and over the vocabulary
// spends most of its time here, and the libm call is scalar. Cephes-style: range reduction to
// [-ln2/2, ln2/2], degree-6 polynomial, exponent by bit construction; relative error < 2e-7 on
// [-87, 88]. double (used by the gradient checks) keeps std::exp.
#include <bit>
#include <cmath>
#include <cstdint>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace cs {

inline float fast_exp(float x) {
  // Plain comparisons, not fmin/fmax: those keep NaN rules that stop GCC from inlining them.
  x = x < -87.0f ? -87.0f : x;
  x = x > 88.0f ? 88.0f : x;
  // floor(t + 0.5) by truncating a positive number: floorf is a library call under GCC's default
  // trapping-math rules, truncation is one instruction.
  const float fx = float(int32_t(x * 1.44269504088896341f + 128.5f)) - 128.0f;
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

namespace cs {

// The same exp on a whole 64-byte vector of floats, for loops the compiler will not vectorise
// by itself (inside the fused attention kernel).
typedef float Vec16f __attribute__((vector_size(64)));
typedef int32_t Vec16i __attribute__((vector_size(64)));

#if defined(__AVX512F__)
// The same reduction and polynomial in AVX-512's own words: round to nearest and scale by 2^n are
// one instruction each, where the portable version below needs eight for clamping, rounding and
// building the exponent. Below -87 the input is clamped (a denormal result would cost a microcode
// assist on some CPUs downstream); above 88.7 the result is +inf.
inline Vec16f fast_exp(Vec16f x) {
  // (The zero-masked forms with every lane set: GCC 12's plain ones warn about an undefined
  // source vector.)
  const Vec16f lo = Vec16f{} - 87.0f;
  const __m512 xv = (__m512)(x < lo ? lo : x);
  const __m512 fx = _mm512_maskz_roundscale_ps(0xFFFF, _mm512_mul_ps(xv, _mm512_set1_ps(1.44269504088896341f)),
                                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(fx, _mm512_set1_ps(0.693359375f), xv);
  r = _mm512_fmadd_ps(fx, _mm512_set1_ps(2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  const __m512 y = _mm512_add_ps(_mm512_fmadd_ps(_mm512_mul_ps(p, r), r, r), _mm512_set1_ps(1.0f));
  return (Vec16f)_mm512_maskz_scalef_ps(0xFFFF, y, fx);
}
#else
inline Vec16f fast_exp(Vec16f x) {
  const Vec16f lo = Vec16f{} - 87.0f, hi = Vec16f{} + 88.0f;
  x = x < lo ? lo : x;
  x = x > hi ? hi : x;
  const Vec16f fx = __builtin_convertvector(
                        __builtin_convertvector(x * 1.44269504088896341f + 128.5f, Vec16i), Vec16f) -
                    128.0f;
  const Vec16f r = x - fx * 0.693359375f + fx * 2.12194440e-4f;
  Vec16f p = Vec16f{} + 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const Vec16f y = p * r * r + r + 1.0f;
  const Vec16i e = (__builtin_convertvector(fx, Vec16i) + 127) << 23;
  return y * (Vec16f)e;
}
#endif

}  // namespace cs
