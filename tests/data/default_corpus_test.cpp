#include "data/default_corpus.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>

namespace {

bool installed() {
  for (const auto& s : cs::data::default_corpus_sources())
    if (!std::filesystem::is_directory(s.folder)) return false;
  return true;
}

// The issue asks for at least 10 MB of English prose in many documents; check what this machine's
// packages actually give.
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

}  // namespace
