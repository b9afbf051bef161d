// The vector exp of the softmaxes against std::exp: relative error under 4e-7 (two float
// roundings past the polynomial's own 2e-7) over the range softmax feeds it, clamping below -87.
#include "core/fast_exp.h"

#include <gtest/gtest.h>

#include <cmath>

namespace cs {
namespace {

TEST(FastExp, VectorAgreesWithStdExp) {
  double worst = 0;
  for (int i = 0; i < 200000; ++i) {
    Vec16f x;
    for (int k = 0; k < 16; ++k) x[k] = -87.0f + 175.0f * float(i * 16 + k) / float(200000 * 16);
    const Vec16f e = fast_exp(x);
    for (int k = 0; k < 16; ++k) {
      const double ref = std::exp(double(x[k]));
      worst = std::max(worst, std::abs(double(e[k]) - ref) / ref);
    }
  }
  EXPECT_LT(worst, 4e-7);
  Vec16f low = Vec16f{} - 1000.0f;
  EXPECT_FLOAT_EQ(fast_exp(low)[3], std::exp(-87.0f));  // clamped: no denormals downstream
  EXPECT_EQ(fast_exp(Vec16f{})[0], 1.0f);
}

TEST(FastExp, ScalarAgreesWithStdExp) {
  double worst = 0;
  for (int i = 0; i <= 100000; ++i) {
    const float x = -87.0f + 175.0f * float(i) / 100000.0f;
    worst = std::max(worst, std::abs(double(fast_exp(x)) - std::exp(double(x))) / std::exp(double(x)));
  }
  EXPECT_LT(worst, 4e-7);
}

}  // namespace
}  // namespace cs
