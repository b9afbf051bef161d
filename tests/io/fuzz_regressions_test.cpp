// Inputs that once crashed a reader under libFuzzer (scripts/fuzz.sh) or were written to reach the
// same faults, kept in tests/data/fuzz-regressions/TARGET/: each must now be one clean cs::Error.
#include <gtest/gtest.h>

#include "../common/fuzz_regressions.h"

#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"
#include "io/npy.h"
#include "io/safetensors.h"

namespace {

using cs::test::fuzz_regressions;

// A header number beyond double's range escaped as the JSON library's own exception; a shape whose
// byte count overflowed 64 bits passed the size check, and converting it asked for a vector of
// 2^61 elements (std::length_error).
TEST(FuzzRegressions, SafeTensors) {
  const auto inputs = fuzz_regressions("safetensors");
  ASSERT_FALSE(inputs.empty());
  for (const std::string& path : inputs)
    EXPECT_THROW(
        {
          const auto st = cs::io::SafeTensors::open(path);
          for (const std::string& name : st.names()) st.get_f32(name);
        },
        cs::Error)
        << path;
}

// A shape of over 2^63 bytes: the error message computed its byte count with a signed overflow
// (an abort under the asan-ubsan preset).
TEST(FuzzRegressions, Npy) {
  const auto inputs = fuzz_regressions("npy");
  ASSERT_FALSE(inputs.empty());
  for (const std::string& path : inputs)
    EXPECT_THROW(
        {
          const auto a = cs::io::read_npy(path);
          a.to_double();
        },
        cs::Error)
        << path;
}

}  // namespace
