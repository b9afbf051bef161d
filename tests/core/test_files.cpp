// core/files.h is the one table of file names: every File has exactly one row, no two rows share a
// path, and no other source file spells a name from it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "core/files.h"

namespace {

namespace fs = std::filesystem;

TEST(Files, EveryFileHasOneRowAndOnePath) {
  std::set<int> seen;
  std::set<std::string> paths;
  for (const cs::FileName& e : cs::kFiles) {
    EXPECT_TRUE(seen.insert(int(e.file)).second) << e.path << " has two rows";
    EXPECT_TRUE(paths.insert(e.path).second) << e.path << " names two files";
    EXPECT_EQ(cs::file_name(e.file), e.path);
  }
  EXPECT_EQ(seen.size(), size_t(int(cs::File::sweep_induction_array) + 1)) << "a File without a row";
}

// The base name of every table entry with an extension (folders and picture bases are common words).
TEST(Files, NoOtherSourceSpellsAFileName) {
  const fs::path src = fs::path(CS_SOURCE_DIR) / "src";
  int checked = 0;
  for (const auto& f : fs::recursive_directory_iterator(src)) {
    if (!f.is_regular_file() || f.path() == src / "core" / "files.h") continue;
    std::ifstream in(f.path());
    std::stringstream text;
    text << in.rdbuf();
    for (const cs::FileName& e : cs::kFiles) {
      const std::string base = fs::path(e.path).filename().string();
      if (base.find('.') == std::string::npos) continue;
      EXPECT_EQ(text.str().find("\"" + base + "\""), std::string::npos)
          << f.path() << " spells \"" << base << "\"; use file_name(File::...)";
      EXPECT_EQ(text.str().find("/" + base + "\""), std::string::npos)
          << f.path() << " spells a path ending in " << base << "; use RunDir::path(File::...)";
    }
    ++checked;
  }
  EXPECT_GT(checked, 50);
}

}  // namespace
