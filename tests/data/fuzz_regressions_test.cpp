// Inputs that once broke a data reader under libFuzzer (scripts/fuzz.sh) or were written to reach
// the same faults, kept in tests/data/fuzz-regressions/TARGET/.
#include <gtest/gtest.h>

#include "../common/fuzz_regressions.h"

#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/files.h"
#include "data/tokenizer.h"
#include "data/tokens.h"
#include "io/atomic_file.h"

namespace {

using cs::test::fuzz_regressions;

// Token folders, one per regression, unpacked from the fuzzer's joined input: a float d_vocab
// beyond int's range was cast by the JSON library (undefined behaviour); n_tokens times the token
// size overflowed and matched a 4-byte tokens.bin, and the id check read far past it.
TEST(FuzzRegressions, TokenFoldersAreRefused) {
  const auto folders = fuzz_regressions("tokens");
  ASSERT_FALSE(folders.empty());
  for (const std::string& dir : folders) EXPECT_THROW(cs::data::TokenStore::open(dir), cs::Error) << dir;
}

// Text holding U+2581, sentencepiece's own stand-in for a space, decoded as a space.
TEST(FuzzRegressions, TokenizersGiveTheTextBack) {
  const auto bpe = cs::data::load_sentencepiece_tokenizer(
      std::string(CS_SOURCE_DIR) + "/models/demo/1l/" + cs::file_name(cs::File::tokenizer_model));
  const auto bytes = cs::data::make_byte_tokenizer();
  const auto byte_level = cs::data::load_hf_tokenizer(std::string(CS_TEST_DATA) + "/bpe/" +
                                                      cs::file_name(cs::File::tokenizer_json));
  const auto inputs = fuzz_regressions("tokenizer");
  ASSERT_FALSE(inputs.empty());
  for (const std::string& path : inputs) {
    const std::string text = cs::io::read_file(path);
    EXPECT_EQ(bpe->decode(bpe->encode(text)), text) << path;
    EXPECT_EQ(bytes->decode(bytes->encode(text)), text) << path;
    EXPECT_EQ(byte_level->decode(byte_level->encode(text)), text) << path;
  }
  EXPECT_EQ(bpe->decode(bpe->encode("a\xE2\x96\x81 b\xE2\x96\x81\xE2\x96\x81")),
            "a\xE2\x96\x81 b\xE2\x96\x81\xE2\x96\x81");
}

}  // namespace
