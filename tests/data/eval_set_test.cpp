#include "data/eval_set.h"

#include <gtest/gtest.h>

#include "../io/temp_dir.h"
#include "core/error.h"

namespace {

using cs::data::TokenStore;

using cs::data::EvalWindows;

// 200 documents; document d holds d % 40 + 1 letters, the i-th being 'a' + (d + i) % 26, so lengths
// vary, many are too short for a long window, and a token's value tells where it lies.
TokenStore store(const cs::test::TempDir& tmp, double eval_fraction) {
  std::vector<std::string> docs;
  for (int d = 0; d < 200; ++d) {
    std::string doc;
    for (int i = 0; i < d % 40 + 1; ++i) doc += char('a' + (d + i) % 26);
    docs.push_back(doc);
  }
  auto tok = cs::data::make_byte_tokenizer();
  cs::data::tokenize_corpus(docs, *tok, tmp / "t", eval_fraction, 5);
  return TokenStore::open(tmp / "t");
}

TEST(EvalSet, SequencesAreHeldOutDocumentStarts) {
  cs::test::TempDir tmp;
  const TokenStore st = store(tmp, 0.5);
  const int n_ctx = 20;
  const auto e = cs::data::build_eval_set(st, n_ctx, 1000, 1, EvalWindows::document_start);
  int64_t expect_candidates = 0;
  for (int64_t d : st.eval_documents()) expect_candidates += st.documents()[size_t(d)].size() >= 21;
  EXPECT_EQ(e.n_held_out, 100);
  EXPECT_EQ(e.n_candidates, expect_candidates);
  EXPECT_EQ(e.n_used(), expect_candidates);  // fewer than asked: all of them
  ASSERT_EQ(e.tokens.size(), size_t(e.n_used()) * 21);
  for (int r = 0; r < e.n_used(); ++r) {
    const int64_t d = e.documents[size_t(r)];
    const auto& doc = st.documents()[size_t(d)];
    EXPECT_TRUE(doc.eval);
    EXPECT_GE(doc.size(), 21);
    EXPECT_EQ(e.tokens[size_t(r) * 21], 256);  // BOS first
    for (int i = 1; i < 21; ++i) ASSERT_EQ(e.tokens[size_t(r) * 21 + size_t(i)], 'a' + (d + i - 1) % 26);
    EXPECT_EQ(e.offsets[size_t(r)], 0);
  }
  EXPECT_TRUE(std::is_sorted(e.documents.begin(), e.documents.end()));
}

// The default: the same documents as above, each window at a seeded offset inside its document.
TEST(EvalSet, RandomOffsetWindowsLieInsideOneDocument) {
  cs::test::TempDir tmp;
  const TokenStore st = store(tmp, 0.5);
  const auto starts = cs::data::build_eval_set(st, 20, 1000, 1, EvalWindows::document_start);
  const auto e = cs::data::build_eval_set(st, 20, 1000, 1);
  ASSERT_EQ(e.documents, starts.documents);
  ASSERT_EQ(e.offsets.size(), e.documents.size());
  int moved = 0;
  for (int r = 0; r < e.n_used(); ++r) {
    const auto& doc = st.documents()[size_t(e.documents[size_t(r)])];
    const int64_t off = e.offsets[size_t(r)];
    ASSERT_GE(off, 0);
    ASSERT_LE(off + 21, doc.size());  // never crosses into the next document
    std::vector<int32_t> expect(21);
    st.read(doc.begin + off, 21, expect.data());
    for (int i = 0; i < 21; ++i) ASSERT_EQ(e.tokens[size_t(r) * 21 + size_t(i)], expect[size_t(i)]);
    moved += off > 0;
  }
  // Documents of 21 to 41 tokens (BOS included) leave 1 to 21 possible offsets: most rows move.
  EXPECT_GT(moved, e.n_used() / 2);
  EXPECT_EQ(cs::data::build_eval_set(st, 20, 1000, 1).offsets, e.offsets);
  EXPECT_NE(cs::data::build_eval_set(st, 20, 1000, 2).offsets, e.offsets);
}

TEST(EvalSet, WindowNamesParse) {
  EXPECT_EQ(cs::data::parse_eval_windows("random"), EvalWindows::random_offset);
  EXPECT_EQ(cs::data::parse_eval_windows("start"), EvalWindows::document_start);
  EXPECT_EQ(cs::data::to_string(EvalWindows::document_start), "start");
  EXPECT_THROW(cs::data::parse_eval_windows("middle"), cs::Error);
}

TEST(EvalSet, SampleIsSeededWhenMoreQualify) {
  cs::test::TempDir tmp;
  const TokenStore st = store(tmp, 0.5);
  const auto a = cs::data::build_eval_set(st, 5, 30, 1);
  const auto b = cs::data::build_eval_set(st, 5, 30, 1);
  const auto c = cs::data::build_eval_set(st, 5, 30, 2);
  EXPECT_EQ(a.n_used(), 30);
  EXPECT_GT(a.n_candidates, 30);
  EXPECT_EQ(a.documents, b.documents);
  EXPECT_EQ(a.tokens, b.tokens);
  EXPECT_NE(a.documents, c.documents);
}

TEST(EvalSet, FewerThanSixteenIsAClearError) {
  cs::test::TempDir tmp;
  const TokenStore st = store(tmp, 0.05);  // 10 held-out documents
  try {
    cs::data::build_eval_set(st, 4, 256, 0);
    FAIL();
  } catch (const cs::Error& e) {
    EXPECT_NE(std::string(e.what()).find("evaluation set too small: "), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("of 10 held-out documents hold at least n_ctx+1 = 5 "
                                         "tokens, need 16"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
