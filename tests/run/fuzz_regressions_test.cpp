// Inputs that once broke the run folder's readers under libFuzzer (scripts/fuzz.sh) or were written
// to reach the same faults, kept in tests/data/fuzz-regressions/TARGET/: each must now be one clean
// cs::Error.
#include <gtest/gtest.h>

#include "../common/fuzz_regressions.h"

#include <filesystem>
#include <string>

#include "../io/temp_dir.h"
#include "core/error.h"
#include "core/files.h"
#include "io/atomic_file.h"
#include "run/run_dir.h"

namespace {

// A float in an integer field was cast to int by the JSON library (undefined beyond int's range),
// and an integer beyond int's range wrapped around.
TEST(FuzzRegressions, RunConfigs) {
  const auto inputs = cs::test::fuzz_regressions("run_config");
  ASSERT_FALSE(inputs.empty());
  for (const std::string& path : inputs) {
    cs::test::TempDir run;
    cs::test::write_bytes(run / cs::file_name(cs::File::config), cs::io::read_file(path));
    EXPECT_THROW(cs::run::RunDir(run.str()).config(), cs::Error) << path;
  }
}

}  // namespace
