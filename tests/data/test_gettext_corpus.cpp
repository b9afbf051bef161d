// The gettext corpus: .mo catalogues written here byte by byte, read back as English/French pairs.
#include "data/gettext_corpus.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <utility>
#include <vector>

#include "../io/temp_dir.h"
#include "core/error.h"
#include "data/corpus.h"

namespace cs::data {
namespace {

// A little-endian .mo file holding the pairs in order.
std::string mo_bytes(const std::vector<std::pair<std::string, std::string>>& pairs) {
  const uint32_t n = uint32_t(pairs.size()), originals = 28, translations = originals + 8 * n;
  std::string strings;
  std::vector<uint32_t> table(4 * n);
  const uint32_t base = translations + 8 * n;
  for (int side = 0; side < 2; ++side)
    for (uint32_t i = 0; i < n; ++i) {
      const std::string& s = side ? pairs[i].second : pairs[i].first;
      table[2 * (side * n + i)] = uint32_t(s.size());
      table[2 * (side * n + i) + 1] = base + uint32_t(strings.size());
      strings += s;
      strings.push_back('\0');
    }
  std::vector<uint32_t> header = {0x950412deu, 0, n, originals, translations, 0, 0};
  std::string out(reinterpret_cast<const char*>(header.data()), header.size() * 4);
  out.append(reinterpret_cast<const char*>(table.data()), table.size() * 4);
  return out + strings;
}

void write(const std::string& path, const std::string& bytes) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

const std::pair<std::string, std::string> kHeader{"", "Content-Type: text/plain; charset=UTF-8\n"};

TEST(GettextCorpus, PairsEveryTranslatedMessage) {
  test::TempDir tmp;
  const std::string dir = tmp / "locale/fr/LC_MESSAGES";
  write(dir + "/b.mo", mo_bytes({kHeader,
                                 {"Cancel", "Annuler"},
                                 {"menu\x04Open", "Ouvrir"},                           // context dropped
                                 {std::string("%d file\0%d files", 16), std::string("%d fichier\0%d fichiers", 20)},
                                 {"OK", "OK"},                                         // same: skipped
                                 {"Untranslated", ""}}));
  write(dir + "/a.mo", mo_bytes({kHeader, {"Yes", "Oui"}}));
  write(dir + "/latin1.mo", mo_bytes({{"", "Content-Type: text/plain; charset=ISO-8859-1\n"}, {"No", "Non"}}));
  write(dir + "/notes.txt", "not a catalogue");
  const Corpus c = read_gettext_corpus("fr", tmp / "locale");
  ASSERT_EQ(c.names, (std::vector<std::string>{"a.mo", "b.mo"}));
  EXPECT_EQ(c.docs[0], "English: Yes\nFrench: Oui\n\n");
  EXPECT_EQ(c.docs[1],
            "English: Cancel\nFrench: Annuler\n\nEnglish: Open\nFrench: Ouvrir\n\n"
            "English: %d file\nFrench: %d fichier\n\n");
}

TEST(GettextCorpus, BadCataloguesAndNamesAreClearErrors) {
  test::TempDir tmp;
  const std::string dir = tmp / "locale/fr/LC_MESSAGES";
  EXPECT_THROW(read_gettext_corpus("fr", tmp / "locale"), Error);  // no catalogues
  const std::string good = mo_bytes({kHeader, {"Yes", "Oui"}});
  write(dir + "/cut.mo", good.substr(0, 20));
  try {
    read_gettext_corpus("fr", tmp / "locale");
    ADD_FAILURE() << "a truncated catalogue was read";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cut.mo: truncated gettext catalogue"), std::string::npos) << e.what();
  }
  write(dir + "/cut.mo", "not a catalogue at all, just text");
  EXPECT_THROW(read_gettext_corpus("fr", tmp / "locale"), Error);
  EXPECT_THROW(read_gettext_corpus("../fr", tmp / "locale"), Error);
  EXPECT_TRUE(is_named_corpus("gettext:fr"));
  EXPECT_TRUE(is_named_corpus("builtin:"));
  EXPECT_FALSE(is_named_corpus("builtin"));
}

}  // namespace
}  // namespace cs::data
