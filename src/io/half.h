#pragma once
// IEEE binary16 and bfloat16 conversions, shared by the .npy and safetensors readers and writers.
// float -> half rounds to nearest, ties to even, as numpy's astype(float16) does, so files written
// here compare bit-equal with numpy's.
#include <cstdint>
#include <cstring>

namespace cs::io {

inline float bits_to_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

inline uint32_t float_to_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

inline float half_to_float(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000) << 16;
  const uint32_t exp = (h >> 10) & 0x1f;
  const uint32_t man = h & 0x3ff;
  if (exp == 0x1f) return bits_to_float(sign | 0x7f800000u | (man << 13));  // inf / nan
  if (exp != 0) return bits_to_float(sign | ((exp + 112) << 23) | (man << 13));
  // Subnormal half: man * 2^-24 is exact in float.
  const float v = float(man) * 0x1.0p-24f;
  return sign ? -v : v;
}

inline uint16_t float_to_half(float f) {
  const uint32_t u = float_to_bits(f);
  const uint16_t sign = uint16_t((u >> 16) & 0x8000);
  const uint32_t abs = u & 0x7fffffffu;
  if (abs >= 0x7f800000u) {  // inf or nan; keep nan a (quiet) nan
    return uint16_t(sign | 0x7c00 | (abs > 0x7f800000u ? 0x200 | ((abs >> 13) & 0x3ff) : 0));
  }
  if (abs >= 0x477ff000u) return uint16_t(sign | 0x7c00);  // rounds to >= 65520: overflow to inf
  if (abs < 0x38800000u) {
    // Result is subnormal (or zero): value / 2^-24, rounded to nearest even.
    if (abs < 0x33000000u) return sign;  // below half the smallest subnormal: rounds to 0
    const uint32_t exp = abs >> 23;
    const uint32_t man = (abs & 0x7fffff) | 0x800000;
    const uint32_t shift = 126 - exp;  // 14 + (113 - exp) bits dropped from the 24-bit mantissa
    const uint32_t kept = man >> shift;
    const uint32_t rest = man & ((1u << shift) - 1);
    const uint32_t halfway = 1u << (shift - 1);
    const uint32_t rounded = kept + (rest > halfway || (rest == halfway && (kept & 1)));
    return uint16_t(sign | rounded);
  }
  // Normal: rebias the exponent, drop 13 mantissa bits with ties to even. A carry out of the
  // mantissa correctly bumps the exponent.
  const uint32_t rebased = abs - (112u << 23);
  const uint32_t kept = rebased >> 13;
  const uint32_t rest = rebased & 0x1fff;
  const uint32_t rounded = kept + (rest > 0x1000 || (rest == 0x1000 && (kept & 1)));
  return uint16_t(sign | rounded);
}

inline float bf16_to_float(uint16_t b) { return bits_to_float(uint32_t(b) << 16); }

inline uint16_t float_to_bf16(float f) {
  const uint32_t u = float_to_bits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return uint16_t((u >> 16) | 0x40);  // quiet nan
  return uint16_t((u + 0x7fff + ((u >> 16) & 1)) >> 16);
}

}  // namespace cs::io
