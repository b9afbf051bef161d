#include "io/atomic_file.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/error.h"
#include "temp_dir.h"

namespace fs = std::filesystem;

namespace {

int count_entries(const std::string& dir) {
  int n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}

TEST(AtomicFile, WritesCreatesParentsAndLeavesNoTemporary) {
  cs::test::TempDir tmp;
  const std::string path = tmp / "a/b/c.txt";
  cs::io::write_file_atomic(path, std::string("hello\0world", 11));
  EXPECT_EQ(cs::io::read_file(path), std::string("hello\0world", 11));
  EXPECT_EQ(count_entries(tmp / "a/b"), 1);
}

TEST(AtomicFile, ReplacesExistingFile) {
  cs::test::TempDir tmp;
  const std::string path = tmp / "x";
  cs::io::write_file_atomic(path, "old contents that are longer");
  cs::io::write_file_atomic(path, "new");
  EXPECT_EQ(cs::io::read_file(path), "new");
}

TEST(AtomicFile, StreamingCommitAndAbandon) {
  cs::test::TempDir tmp;
  const std::string path = tmp / "s.bin";
  cs::io::write_file_atomic(path, "previous");
  {
    cs::io::AtomicFile f(path);
    f.write("abc", 3);
    f.write(std::string_view("def"));
    EXPECT_EQ(f.bytes_written(), 6u);
    // Until commit the old file is intact.
    EXPECT_EQ(cs::io::read_file(path), "previous");
    // Abandoned here: the destructor must remove the temporary.
  }
  EXPECT_EQ(cs::io::read_file(path), "previous");
  EXPECT_EQ(count_entries(tmp.str()), 1);
  {
    cs::io::AtomicFile f(path);
    f.write("abcdef", 6);
    f.commit();
    EXPECT_THROW(f.write("x", 1), cs::Error);
  }
  EXPECT_EQ(cs::io::read_file(path), "abcdef");
  EXPECT_EQ(count_entries(tmp.str()), 1);
}

TEST(AtomicFile, ReadMissingFileNamesIt) {
  cs::test::TempDir tmp;
  try {
    cs::io::read_file(tmp / "nope.json");
    FAIL() << "expected an error";
  } catch (const cs::Error& e) {
    EXPECT_NE(std::string(e.what()).find("nope.json"), std::string::npos) << e.what();
  }
  EXPECT_THROW(cs::io::read_file(tmp.str()), cs::Error);  // a folder is not a file
}

}  // namespace
