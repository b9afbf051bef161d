#include "data/corpus.h"

#include <gtest/gtest.h>

#include "../io/temp_dir.h"
#include "core/error.h"
#include "data/utf8.h"

namespace {

using cs::data::find_invalid_utf8;
using cs::test::write_bytes;

std::string error_of(const std::string& path) {
  try {
    cs::data::read_corpus(path);
  } catch (const cs::Error& e) {
    return e.what();
  }
  return "";
}

TEST(Utf8, AcceptsValidAndFindsTheFirstBadByte) {
  EXPECT_EQ(find_invalid_utf8("plain ascii\n"), std::string::npos);
  EXPECT_EQ(find_invalid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF"),
            std::string::npos);
  EXPECT_EQ(find_invalid_utf8("ab\x80"), 2u);                 // lone continuation byte
  EXPECT_EQ(find_invalid_utf8("a\xC0\x80"), 1u);              // overlong NUL
  EXPECT_EQ(find_invalid_utf8("a\xE0\x80\x80"), 1u);          // overlong 3-byte
  EXPECT_EQ(find_invalid_utf8("xy\xED\xA0\x80"), 2u);         // UTF-16 surrogate
  EXPECT_EQ(find_invalid_utf8("\xF4\x90\x80\x80"), 0u);       // above U+10FFFF
  EXPECT_EQ(find_invalid_utf8("ok\xE2\x82"), 2u);             // truncated at the end
  EXPECT_EQ(find_invalid_utf8("\xC3\xA9\xC3("), 2u);          // bad continuation
  EXPECT_EQ(find_invalid_utf8("\xFF"), 0u);
}

TEST(Corpus, FolderIsOneDocumentPerFileInByteOrderRecursing) {
  cs::test::TempDir tmp;
  const std::string root = tmp / "c";
  write_bytes(root + "/b.txt", "second");
  write_bytes(root + "/a.txt", "first");
  write_bytes(root + "/sub/z.md", "third");
  write_bytes(root + "/B.txt", "upper case sorts first");
  write_bytes(root + "/empty.txt", "");
  write_bytes(root + "/.hidden", "skipped");
  write_bytes(root + "/.git/objects/x", "skipped too");
  write_bytes(root + "/bom.txt", "\xEF\xBB\xBFwith bom");
  const cs::data::Corpus c = cs::data::read_corpus(root);
  EXPECT_EQ(c.names, (std::vector<std::string>{"B.txt", "a.txt", "b.txt", "bom.txt", "sub/z.md"}));
  EXPECT_EQ(c.docs, (std::vector<std::string>{"upper case sorts first", "first", "second",
                                              "with bom", "third"}));
  EXPECT_EQ(c.bytes(), 22 + 5 + 6 + 8 + 5);
}

TEST(Corpus, FileIsSplitAtFormFeedLines) {
  using cs::data::split_form_feed_documents;
  EXPECT_EQ(split_form_feed_documents("one\nline two\n\f\ntwo\n\f\r\nthree"),
            (std::vector<std::string>{"one\nline two\n", "two\n", "three"}));
  // Leading, trailing and doubled separators make no empty documents; a form feed inside a line
  // is text.
  EXPECT_EQ(split_form_feed_documents("\f\na\f b\n\f\n\f\nc\n\f"),
            (std::vector<std::string>{"a\f b\n", "c\n"}));
  EXPECT_EQ(split_form_feed_documents("no separator at all"),
            (std::vector<std::string>{"no separator at all"}));

  cs::test::TempDir tmp;
  write_bytes(tmp / "corpus.txt", "alpha\n\f\nbeta\n");
  const cs::data::Corpus c = cs::data::read_corpus(tmp / "corpus.txt");
  EXPECT_EQ(c.names, (std::vector<std::string>{"corpus.txt#0", "corpus.txt#1"}));
  EXPECT_EQ(c.docs, (std::vector<std::string>{"alpha\n", "beta\n"}));
}

TEST(Corpus, MixPrefixesNames) {
  cs::test::TempDir tmp;
  write_bytes(tmp / "x/a.txt", "A");
  write_bytes(tmp / "y.txt", "B\n\f\nC");
  const cs::data::Corpus c = cs::data::read_corpora({tmp / "x", tmp / "y.txt"});
  EXPECT_EQ(c.names, (std::vector<std::string>{"0:a.txt", "1:y.txt#0", "1:y.txt#1"}));
  EXPECT_EQ(c.docs, (std::vector<std::string>{"A", "B\n", "C"}));
}

TEST(Corpus, BadInputGivesOneClearError) {
  cs::test::TempDir tmp;
  EXPECT_NE(error_of(tmp / "missing").find("corpus not found: "), std::string::npos);
  std::filesystem::create_directories(tmp / "empty_dir");
  EXPECT_NE(error_of(tmp / "empty_dir").find("holds no documents"), std::string::npos);
  write_bytes(tmp / "blank.txt", "\f\n\f\n");
  EXPECT_NE(error_of(tmp / "blank.txt").find("blank.txt holds no documents"), std::string::npos);
  write_bytes(tmp / "bad/ok.txt", "fine");
  write_bytes(tmp / "bad/latin1.txt", "caf\xE9 au lait");
  const std::string e = error_of(tmp / "bad");
  EXPECT_NE(e.find("latin1.txt: invalid UTF-8 at byte 3 (byte 0xe9)"), std::string::npos) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos);
  write_bytes(tmp / "one.txt", "good\n\f\nbad \xC0\xAF\n");
  EXPECT_NE(error_of(tmp / "one.txt").find("one.txt: invalid UTF-8 at byte 11"), std::string::npos);
}

}  // namespace
