// max_of over rows of every length around its 64-lane blocks, the maximum anywhere in the row.
#include "core/max_of.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace cs {
namespace {

TEST(MaxOf, FindsTheMaximumWhereverItIs) {
  for (int64_t n : {1, 5, 63, 64, 65, 127, 128, 200, 2049})
    for (int64_t at : {int64_t(0), n / 2, n - 1}) {
      std::vector<float> x(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i) x[size_t(i)] = -float((i * 37) % 101) - 1.0f;  // all negative
      x[size_t(at)] = 0.5f;
      EXPECT_EQ(max_of(x.data(), n), 0.5f) << n << " " << at;
      x[size_t(at)] = -1000.0f;
      EXPECT_EQ(max_of(x.data(), n), *std::max_element(x.begin(), x.end())) << n << " " << at;
    }
}

}  // namespace
}  // namespace cs
