#include "data/batches.h"

#include <gtest/gtest.h>

#include "../io/temp_dir.h"
#include "core/error.h"

namespace {

using cs::data::BatchSampler;
using cs::data::TokenStore;

// One training document whose bytes count up, so a window's first token gives its offset.
TokenStore counting_store(const cs::test::TempDir& tmp, int n) {
  std::string doc;
  for (int i = 0; i < n; ++i) doc += char('A' + i % 50);
  auto tok = cs::data::make_byte_tokenizer();
  cs::data::tokenize_corpus(std::vector<std::string>{doc, "held out"}, *tok, tmp / "t", 0.5, 0);
  return TokenStore::open(tmp / "t");
}

TEST(Batches, WindowsAreContiguousSlicesOfTheTrainingRange) {
  cs::test::TempDir tmp;
  const TokenStore st = counting_store(tmp, 40);
  ASSERT_EQ(st.n_train_tokens(), 41);  // the document that stays for training, with its BOS
  BatchSampler s(st, 8, 4, 123);
  std::vector<int32_t> out(4 * 9);
  std::vector<int> first_seen(st.n_train_tokens(), 0);
  for (int step = 0; step < 200; ++step) {
    s.next(out.data());
    for (int b = 0; b < 4; ++b) {
      const int32_t* w = &out[size_t(b) * 9];
      // Locate the window: BOS is at 0, then 'A' + (i - 1) % 50.
      const int64_t off = w[0] == 256 ? 0 : (w[0] - 'A') + 1;
      ASSERT_LE(off + 9, st.n_train_tokens());
      for (int i = 0; i < 9; ++i) ASSERT_EQ(uint32_t(w[i]), st.at(off + i));
      ++first_seen[size_t(off)];
    }
  }
  // All 33 valid offsets, both ends included, get drawn; nothing from the held-out range.
  for (int64_t o = 0; o < st.n_train_tokens(); ++o) EXPECT_EQ(first_seen[size_t(o)] > 0, o <= 32) << o;
}

TEST(Batches, SeededAndResumable) {
  cs::test::TempDir tmp;
  const TokenStore st = counting_store(tmp, 45);
  BatchSampler a(st, 4, 3, 9), b(st, 4, 3, 9), c(st, 4, 3, 10);
  std::vector<int64_t> oa, oc;
  for (int i = 0; i < 20; ++i) {
    oa.push_back(a.next_offset());
    oc.push_back(c.next_offset());
  }
  EXPECT_NE(oa, oc);
  std::vector<int32_t> x(15), y(15);
  for (int i = 0; i < 5; ++i) b.next(x.data());
  const auto saved = b.rng_state();
  b.next(x.data());
  b.next(x.data());
  BatchSampler resumed(st, 4, 3, 0);
  resumed.set_rng_state(saved);
  resumed.next(y.data());
  resumed.next(y.data());
  EXPECT_EQ(x, y);
}

TEST(Batches, CorpusShorterThanOneContextIsAClearError) {
  cs::test::TempDir tmp;
  const TokenStore st = counting_store(tmp, 10);  // 11 training tokens
  EXPECT_NO_THROW(BatchSampler(st, 10, 1, 0));
  try {
    BatchSampler s(st, 11, 1, 0);
    FAIL();
  } catch (const cs::Error& e) {
    EXPECT_STREQ(e.what(), "corpus shorter than one context: 11 training tokens, need n_ctx+1 = 12");
  }
}

}  // namespace
