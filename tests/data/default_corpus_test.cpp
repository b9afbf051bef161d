#include "data/default_corpus.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "core/error.h"
#include "data/gettext_corpus.h"
#include "../io/temp_dir.h"

namespace {

bool installed() {
  for (const auto& s : cs::data::default_corpus_sources())
    if (!std::filesystem::is_directory(s.folder)) return false;
  return true;
}

// The built-in corpus is meant to be at least 10 MB of English prose in many documents
// (docs/corpus.md); check what this machine's packages actually give.
TEST(DefaultCorpus, IsLargeEnglishAndManyDocuments) {
  if (!installed()) GTEST_SKIP() << "python3.11-doc / linux-doc-6.1 not installed";
  const cs::data::Corpus c = cs::data::read_default_corpus();
  EXPECT_GE(c.bytes(), 10'000'000);
  EXPECT_GE(c.size(), 3000u);
  std::set<std::string> prefixes;
  for (const auto& n : c.names) {
    prefixes.insert(n.substr(0, n.find('/')));
    EXPECT_EQ(n.find("translations/"), std::string::npos) << n;
  }
  EXPECT_EQ(prefixes, (std::set<std::string>{"linux", "python"}));
  // Names are sorted within each source, so the corpus (and any split of it) is reproducible.
  EXPECT_TRUE(std::is_sorted(c.names.begin(), c.names.begin() + 400));
  EXPECT_EQ(c.names.front().rfind("python/", 0), 0u);
  EXPECT_NE(cs::data::default_corpus_description().find("python3.11-doc"), std::string::npos);
}

// The Python standard library's sources, named "python-source:": the 635 .py files of the pinned
// list (tests and third-party packages left out), identical on every machine with the packages
// scripts/install-deps.sh installs.
TEST(PythonSourceCorpus, StandardLibraryWithoutTests) {
  const auto src = cs::data::python_source();
  if (!std::filesystem::is_directory(src.folder)) GTEST_SKIP() << src.folder << " not installed";
  ASSERT_TRUE(cs::data::is_named_corpus("python-source:"));
  const cs::data::Corpus c = cs::data::read_named_corpus("python-source:");
  EXPECT_EQ(c.size(), 635u);
  EXPECT_TRUE(c.notes.empty()) << c.notes[0];
  EXPECT_EQ(c.names[0], "python-source/sitecustomize.py");  // the order the corpus was pinned in
  EXPECT_TRUE(std::is_sorted(c.names.begin() + 1, c.names.end()));
  bool has_argparse = false;
  for (const auto& n : c.names) {
    EXPECT_EQ(n.rfind("python-source/", 0), 0u) << n;
    EXPECT_EQ(n.substr(n.size() - 3), ".py") << n;
    EXPECT_EQ(n.find("/test/"), std::string::npos) << n;
    EXPECT_EQ(n.find("-packages/"), std::string::npos) << n;
    has_argparse |= n == "python-source/argparse.py";
  }
  EXPECT_TRUE(has_argparse);
}

// A machine whose files differ from the pinned list still reads what it has, and says so.
TEST(PythonSourceCorpus, FilesThatDifferFromThePinnedListAreNamed) {
  cs::test::TempDir tmp;
  std::filesystem::create_directories(tmp / "lib/pkg");
  cs::test::write_bytes(tmp / "lib/a.py", "x = 1\n");
  cs::test::write_bytes(tmp / "lib/pkg/b.py", "y = 22\n");  // pinned as 6 bytes: changed
  auto src = cs::data::python_source();
  src.folder = tmp / "lib";
  // 64-bit FNV-1a of "x = 1\n" and of "y = 2\n".
  src.manifest = "a.py 6 78a1ef167053da53\npkg/b.py 6 06f61b653e607cd1\nmissing.py 3 0000000000000001\n";
  const cs::data::Corpus c = cs::data::read_corpus_source(src);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c.names[0], "python-source/a.py");
  EXPECT_EQ(c.docs[1], "y = 22\n");
  ASSERT_EQ(c.notes.size(), 1u);
  EXPECT_NE(c.notes[0].find("differ from the pinned list of 3 (1 missing, 1 changed; first: missing.py)"),
            std::string::npos) << c.notes[0];
}

TEST(PythonSourceCorpus, MissingFolderNamesThePackage) {
  auto src = cs::data::python_source();
  src.folder = "/nonexistent/python3.11";
  try {
    cs::data::read_corpus_source(src);
    FAIL() << "expected an error";
  } catch (const cs::Error& e) {
    EXPECT_NE(std::string(e.what()).find("libpython3.11-stdlib"), std::string::npos) << e.what();
  }
}

}  // namespace
