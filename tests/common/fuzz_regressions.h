#pragma once
// The inputs kept in tests/data/fuzz-regressions/TARGET/ (scripts/fuzz.sh): files, or folders for
// the token-folder target.
#include <filesystem>
#include <string>
#include <vector>

namespace cs::test {

inline std::vector<std::string> fuzz_regressions(const std::string& target) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(CS_TEST_DATA) / "fuzz-regressions" / target))
    out.push_back(e.path().string());
  return out;
}

}  // namespace cs::test
