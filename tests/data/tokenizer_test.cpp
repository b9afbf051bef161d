#include "data/tokenizer.h"

#include <gtest/gtest.h>

#include "../io/temp_dir.h"
#include "core/error.h"
#include "io/atomic_file.h"
#include "text_gen.h"

namespace {

using cs::data::Tokenizer;

// Text the BPE never saw: other scripts, emoji, tabs, runs of spaces, CRLF, a NUL byte.
std::string unseen_text() {
  return std::string("Gr\xC3\xBC\xC3\x9F" "e, \xE4\xB8\x96\xE7\x95\x8C! \xF0\x9F\x98\x80\t") +
         "Tabs\tand    four spaces\r\nline\n\n  indented: x = f(y)  # ok\n" +
         std::string("nul\0byte", 8) + "\n";
}

std::unique_ptr<Tokenizer> small_bpe(uint64_t seed = 0) {
  std::vector<std::string> docs;
  for (uint64_t d = 0; d < 20; ++d) docs.push_back(cs::test::generated_text(seed * 100 + d, 10000));
  cs::data::BpeOptions o;
  o.d_vocab = 600;
  o.seed = seed;
  o.threads = 2;
  return cs::data::train_bpe_tokenizer(docs, o);
}

TEST(ByteTokenizer, IdsAreBytesAndBosIs256) {
  auto t = cs::data::make_byte_tokenizer();
  EXPECT_EQ(t->kind(), "bytes");
  EXPECT_EQ(t->d_vocab(), 257);
  EXPECT_EQ(t->bos_id(), 256);
  EXPECT_EQ(t->encode("Hi\xC3\xA9"), (std::vector<int32_t>{72, 105, 0xC3, 0xA9}));
  EXPECT_EQ(t->decode({256, 72, 105, 0xC3, 0xA9}), "Hi\xC3\xA9");
  EXPECT_EQ(t->decode(t->encode(unseen_text())), unseen_text());
  EXPECT_EQ(t->piece(256), "<bos>");
  EXPECT_EQ(t->piece('a'), "a");
  EXPECT_EQ(t->piece(' '), " ");
  EXPECT_EQ(t->piece('\n'), "\\n");
  EXPECT_EQ(t->piece(0x01), "<0x01>");
  EXPECT_EQ(t->piece(0xC3), "<0xC3>");  // half a character
  EXPECT_THROW(t->piece(257), cs::Error);
  EXPECT_THROW(t->decode({-1}), cs::Error);
}

TEST(BpeTokenizer, LearnsMergesAndIsLossless) {
  auto t = small_bpe();
  EXPECT_EQ(t->kind(), "sentencepiece");
  EXPECT_EQ(t->d_vocab(), 600);
  EXPECT_EQ(t->bos_id(), 1);
  EXPECT_EQ(t->piece(t->bos_id()), "<bos>");
  // Frequent words of the training text are single pieces.
  const std::vector<int32_t> ids = t->encode("The model learns");
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ(t->piece(ids[0]), "The");
  EXPECT_EQ(t->piece(ids[1]), " model");
  EXPECT_EQ(t->piece(ids[2]), " learns");
  EXPECT_EQ(t->decode(ids), "The model learns");
  // Anything else still round-trips byte for byte, through byte fallback.
  const std::string u = unseen_text();
  EXPECT_EQ(t->decode(t->encode(u)), u);
  const std::string g = cs::test::generated_text(999, 5000);
  const auto gi = t->encode(g);
  EXPECT_EQ(t->decode(gi), g);
  EXPECT_LT(gi.size(), g.size() / 3);  // real compression on in-distribution text
  for (int32_t id : gi) EXPECT_NE(id, t->bos_id());
  // Whitespace runs (indentation) are pieces of their own.
  bool has_indent = false;
  for (int32_t id : t->encode("\n    Def")) has_indent |= t->piece(id) == "    ";
  EXPECT_TRUE(has_indent);
}

TEST(BpeTokenizer, SameSeedSameModelAndSaveLoadRoundTrip) {
  cs::test::TempDir tmp;
  auto a = small_bpe(3);
  auto b = small_bpe(3);
  a->save(tmp / "a");
  b->save(tmp / "b");
  EXPECT_EQ(cs::io::read_file(tmp / "a/tokenizer.model"), cs::io::read_file(tmp / "b/tokenizer.model"));
  auto loaded = cs::data::load_tokenizer(tmp / "a");
  const std::string u = unseen_text() + cs::test::generated_text(5, 2000);
  EXPECT_EQ(loaded->encode(u), a->encode(u));
  EXPECT_EQ(loaded->d_vocab(), 600);
  for (int id = 0; id < 600; ++id) ASSERT_EQ(loaded->piece(id), a->piece(id));
}

TEST(BpeTokenizer, RefusesTinyVocabularies) {
  cs::data::BpeOptions o;
  o.d_vocab = 100;
  EXPECT_THROW(cs::data::train_bpe_tokenizer({"some text"}, o), cs::Error);
  o.d_vocab = 400;
  EXPECT_THROW(cs::data::train_bpe_tokenizer({"  \n\t\n"}, o), cs::Error);
  o.d_vocab = 4096;
  try {
    cs::data::train_bpe_tokenizer({"hello world this is a tiny corpus\n", "another one\n"}, o);
    FAIL();
  } catch (const cs::Error& e) {
    EXPECT_NE(std::string(e.what()).find("--d-vocab 4096 is too large for this corpus: BPE can "
                                         "make at most "),
              std::string::npos)
        << e.what();
  }
}

TEST(LoadTokenizer, FindsBytesNotesAndRunFolders) {
  cs::test::TempDir tmp;
  cs::data::make_byte_tokenizer()->save(tmp / "run/tokens");
  EXPECT_EQ(cs::data::load_tokenizer(tmp / "run")->d_vocab(), 257);
  EXPECT_EQ(cs::data::load_tokenizer(tmp / "run/tokens")->bos_id(), 256);
}

TEST(LoadTokenizer, BadFilesGiveOneClearError) {
  cs::test::TempDir tmp;
  auto err = [](const std::string& dir) -> std::string {
    try {
      cs::data::load_tokenizer(dir);
    } catch (const cs::Error& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(err(tmp / "none").find("no tokenizer in"), std::string::npos);
  cs::test::write_bytes(tmp / "u/tokenizer.json", R"({"type": "wordpiece"})");
  EXPECT_NE(err(tmp / "u").find("unknown tokenizer type 'wordpiece'"), std::string::npos);
  cs::test::write_bytes(tmp / "j/tokenizer.json", "{not json");
  EXPECT_NE(err(tmp / "j").find("tokenizer.json: not valid JSON"), std::string::npos);
  cs::test::write_bytes(tmp / "m/tokenizer.model", "this is not a protobuf");
  const std::string e = err(tmp / "m");
  EXPECT_NE(e.find("tokenizer.model: not a sentencepiece model"), std::string::npos) << e;
}

}  // namespace
