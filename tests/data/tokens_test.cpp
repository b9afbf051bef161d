#include "data/tokens.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "../io/temp_dir.h"
#include "core/error.h"
#include "io/atomic_file.h"
#include "io/npy.h"

namespace {

using cs::data::TokenStore;

// Ten documents of distinct lengths so offsets are easy to check by hand.
std::vector<std::string> ten_docs() {
  std::vector<std::string> docs;
  for (int d = 0; d < 10; ++d) docs.push_back(std::string(size_t(d + 1), char('a' + d)));
  return docs;
}

std::string open_error(const std::string& dir) {
  try {
    TokenStore::open(dir);
  } catch (const cs::Error& e) {
    return e.what();
  }
  return "";
}

TEST(Split, SeededByDocumentAndSized) {
  const auto a = cs::data::split_documents(100, 0.1, 7);
  EXPECT_EQ(std::count(a.begin(), a.end(), true), 10);
  EXPECT_EQ(a, cs::data::split_documents(100, 0.1, 7));
  EXPECT_NE(a, cs::data::split_documents(100, 0.1, 8));
  const auto b = cs::data::split_documents(3, 0.01, 0);  // rounds to 0, but some held out
  EXPECT_EQ(std::count(b.begin(), b.end(), true), 1);
  const auto c = cs::data::split_documents(1, 0.5, 0);  // one document stays for training
  EXPECT_EQ(std::count(c.begin(), c.end(), true), 0);
  const auto z = cs::data::split_documents(50, 0.0, 0);
  EXPECT_EQ(std::count(z.begin(), z.end(), true), 0);
  EXPECT_THROW(cs::data::split_documents(10, 1.0, 0), cs::Error);
  EXPECT_THROW(cs::data::split_documents(10, -0.1, 0), cs::Error);
}

TEST(Tokens, WritesThePackedStreamAndItsIndex) {
  cs::test::TempDir tmp;
  auto tok = cs::data::make_byte_tokenizer();
  const auto docs = ten_docs();
  const auto s = cs::data::tokenize_corpus(docs, *tok, tmp / "t", 0.2, 42);
  EXPECT_EQ(s.n_docs, 10);
  EXPECT_EQ(s.n_eval_docs, 2);
  EXPECT_EQ(s.n_train_docs, 8);
  EXPECT_EQ(s.n_tokens, 55 + 10);  // every byte plus one BOS per document

  const TokenStore st = TokenStore::open(tmp / "t");
  EXPECT_EQ(st.d_vocab(), 257);
  EXPECT_EQ(st.bos_id(), 256);
  EXPECT_EQ(st.bytes_per_token(), 2);
  EXPECT_EQ(st.n_tokens(), 65);
  const auto eval = st.eval_documents();
  ASSERT_EQ(eval.size(), 2u);
  const auto split = cs::data::split_documents(10, 0.2, 42);
  for (int64_t d = 0; d < 10; ++d)
    EXPECT_EQ(st.documents()[size_t(d)].eval, bool(split[size_t(d)])) << d;
  int64_t train_tokens = 0;
  for (int64_t d = 0; d < 10; ++d) {
    const auto& doc = st.documents()[size_t(d)];
    EXPECT_EQ(doc.size(), d + 2);
    EXPECT_EQ(st.at(doc.begin), 256u);
    for (int64_t i = doc.begin + 1; i < doc.end; ++i) ASSERT_EQ(st.at(i), uint32_t('a' + d));
    if (!doc.eval) train_tokens += doc.size();
  }
  EXPECT_EQ(st.n_train_tokens(), train_tokens);
  // Training documents come first, in corpus order, then the held-out ones.
  int64_t expect_begin = 0;
  for (int pass = 0; pass < 2; ++pass)
    for (const auto& doc : st.documents())
      if (doc.eval == (pass == 1)) {
        EXPECT_EQ(doc.begin, expect_begin);
        expect_begin = doc.end;
      }
  // Counts cover the training range only.
  ASSERT_EQ(st.token_counts().size(), 257u);
  EXPECT_EQ(st.token_counts()[256], 8);
  for (int64_t d = 0; d < 10; ++d)
    EXPECT_EQ(st.token_counts()[size_t('a' + d)], st.documents()[size_t(d)].eval ? 0 : d + 1);
  std::vector<int32_t> buf(4);
  st.read(st.documents()[3].begin, 4, buf.data());
  EXPECT_EQ(buf, (std::vector<int32_t>{256, 'd', 'd', 'd'}));
  EXPECT_THROW(st.read(60, 10, buf.data()), cs::Error);

  EXPECT_EQ(st.meta()["seed"], 42);
  EXPECT_EQ(st.meta()["eval_tokens"][1], 65);
  EXPECT_EQ(cs::io::read_file(tmp / "t/document_names.json").substr(0, 14), "[\"doc0\",\"doc1\"");
  EXPECT_TRUE(cs::data::is_token_dir(tmp / "t"));
  EXPECT_FALSE(cs::data::is_token_dir(tmp.str()));
  // A run folder holding tokens/ opens the same way.
  std::filesystem::rename(tmp / "t", tmp / "run");
  std::filesystem::create_directories(tmp / "t");
  std::filesystem::rename(tmp / "run", tmp / "t/tokens");
  EXPECT_EQ(TokenStore::open(tmp / "t").n_tokens(), 65);
}

// A tokenizer with a vocabulary too large for uint16, to exercise the wide format.
class WideTokenizer final : public cs::data::Tokenizer {
 public:
  std::string kind() const override { return "bytes"; }
  int d_vocab() const override { return 70000; }
  int bos_id() const override { return 69999; }
  std::vector<int32_t> encode(std::string_view t) const override {
    std::vector<int32_t> ids;
    for (char c : t) ids.push_back(60000 + static_cast<unsigned char>(c));
    return ids;
  }
  std::string decode(const std::vector<int32_t>&) const override { return ""; }
  std::string piece(int32_t) const override { return ""; }
  void save(const std::string& dir) const override {
    cs::io::write_file_atomic(dir + "/tokenizer.json", R"({"type": "bytes"})");
  }
};

TEST(Tokens, LargeVocabulariesUseUint32) {
  cs::test::TempDir tmp;
  WideTokenizer tok;
  cs::data::tokenize_corpus(std::vector<std::string>{"ab", "c"}, tok, tmp / "w", 0.0, 0);
  const TokenStore st = TokenStore::open(tmp / "w");
  EXPECT_EQ(st.bytes_per_token(), 4);
  EXPECT_EQ(st.meta()["dtype"], "uint32");
  std::vector<int32_t> all(5);
  st.read(0, 5, all.data());
  EXPECT_EQ(all, (std::vector<int32_t>{69999, 60000 + 'a', 60000 + 'b', 69999, 60000 + 'c'}));
  EXPECT_EQ(std::filesystem::file_size(tmp / "w/tokens.bin"), 20u);
}

TEST(Tokens, TamperedFoldersAreRefused) {
  cs::test::TempDir tmp;
  auto tok = cs::data::make_byte_tokenizer();
  cs::data::tokenize_corpus(ten_docs(), *tok, tmp / "t", 0.2, 1);
  const std::string bin = cs::io::read_file(tmp / "t/tokens.bin");

  cs::test::write_bytes(tmp / "t/tokens.bin", bin.substr(0, bin.size() - 2));
  EXPECT_NE(open_error(tmp / "t").find("tokens.bin: 128 bytes, but tokens.json says 65 tokens"),
            std::string::npos);
  std::string bad = bin;
  bad[10] = '\x01';
  bad[11] = '\x02';  // id 513 > d_vocab
  cs::test::write_bytes(tmp / "t/tokens.bin", bad);
  EXPECT_NE(open_error(tmp / "t").find("token id 513 is outside the vocabulary [0, 257)"),
            std::string::npos);
  cs::test::write_bytes(tmp / "t/tokens.bin", bin);
  const int64_t wrong[4] = {0, 1, 2, 3};
  cs::io::write_npy(tmp / "t/documents.npy", wrong, {2, 2});
  EXPECT_NE(open_error(tmp / "t").find("documents.npy: expected shape [10, 2]"), std::string::npos);
  std::filesystem::remove(tmp / "t/tokens.json");
  EXPECT_NE(open_error(tmp / "t").find("tokens.json missing"), std::string::npos);
  EXPECT_THROW(cs::data::tokenize_corpus(std::vector<std::string>{}, *tok, tmp / "e", 0.1, 0),
               cs::Error);
}

}  // namespace
