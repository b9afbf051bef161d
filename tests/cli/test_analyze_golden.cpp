// `analyze --over-training` on a fixed tiny run (tests/data/golden/run) must reproduce the analysis
// files recorded in tests/data/golden/analysis: every number to 1e-9 and every string exactly,
// wall-clock times aside. A change to an analysis that moves a number fails here; if the change is
// intended, tests/data/golden/make.sh records the new files. The numbers are those of the Release
// build (README's); other optimisation flags (the sanitizer presets) round differently.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "../common/run_cli.h"
#include "../io/temp_dir.h"
#include "io/atomic_file.h"
#include "io/npy.h"

namespace {

namespace fs = std::filesystem;

const fs::path kGolden = fs::path(CS_TEST_DATA) / "golden";

void expect_same(const nlohmann::json& got, const nlohmann::json& want, const std::string& where) {
  if (want.is_number() && got.is_number()) {
    const double g = got.get<double>(), w = want.get<double>();
    EXPECT_NEAR(g, w, 1e-9 * std::max(1.0, std::abs(w))) << where;
    return;
  }
  ASSERT_EQ(got.type_name(), std::string(want.type_name())) << where;
  if (want.is_object()) {
    EXPECT_EQ(got.size(), want.size()) << where << " keys";
    for (const auto& [key, value] : want.items()) {
      if (key == "seconds") continue;
      ASSERT_TRUE(got.contains(key)) << where << "." << key;
      expect_same(got[key], value, where + "." + key);
    }
  } else if (want.is_array()) {
    ASSERT_EQ(got.size(), want.size()) << where;
    for (size_t i = 0; i < want.size(); ++i) expect_same(got[i], want[i], where + "[" + std::to_string(i) + "]");
  } else {
    EXPECT_EQ(got, want) << where;
  }
}

TEST(AnalyzeGolden, ReproducesTheRecordedAnalyses) {
  cs::test::TempDir tmp;
  const fs::path run = tmp / "run";
  fs::copy(kGolden / "run", run, fs::copy_options::recursive);
  const cs::test::CliResult r = cs::test::run_cli("analyze " + run.string() + " --over-training --threads 1");
  ASSERT_EQ(r.code, 0) << r.output;
  int compared = 0;
  for (const auto& e : fs::directory_iterator(kGolden / "analysis")) {
    const fs::path got = run / "analysis" / e.path().filename();
    ASSERT_TRUE(fs::exists(got)) << got;
    const std::string name = e.path().filename().string();
    if (e.path().extension() == ".json") {
      expect_same(nlohmann::json::parse(cs::io::read_file(got.string())),
                  nlohmann::json::parse(cs::io::read_file(e.path().string())), name);
    } else {
      const cs::io::NpyArray g = cs::io::read_npy(got.string()), w = cs::io::read_npy(e.path().string());
      ASSERT_EQ(g.dtype, w.dtype) << name;
      ASSERT_EQ(g.shape, w.shape) << name;
      const std::vector<double> gv = g.to_double(), wv = w.to_double();
      for (size_t i = 0; i < wv.size(); ++i) {
        if (std::isnan(wv[i])) EXPECT_TRUE(std::isnan(gv[i])) << name << "[" << i << "]";
        else EXPECT_NEAR(gv[i], wv[i], 1e-9 * std::max(1.0, std::abs(wv[i]))) << name << "[" << i << "]";
      }
    }
    ++compared;
  }
  EXPECT_GE(compared, 20);
  // The printed tables show '–' where a value does not exist: the XOR probe has no control text.
  const size_t xor_row = r.output.find("\nxor ");
  ASSERT_NE(xor_row, std::string::npos) << r.output;
  const std::string row = r.output.substr(xor_row + 1, r.output.find('\n', xor_row + 1) - xor_row - 1);
  EXPECT_NE(row.find("–"), std::string::npos) << row;
  EXPECT_EQ(r.output.find(" nan"), std::string::npos) << r.output;
}

}  // namespace
