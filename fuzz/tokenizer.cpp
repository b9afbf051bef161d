// Arbitrary bytes through every kind of tokenizer: the byte tokenizer, the sentencepiece model the
// demo ships and the byte-level BPE of the tests (tests/data/bpe). Each must keep the Tokenizer
// contract (tokenizer_check.h); a cs::Error is a clean refusal.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "core/error.h"
#include "core/files.h"
#include "data/tokenizer.h"
#include "tokenizer_check.h"

namespace {

const cs::data::Tokenizer& bytes_tokenizer() {
  static const auto t = cs::data::make_byte_tokenizer();
  return *t;
}

const cs::data::Tokenizer& bpe_tokenizer() {
  static const auto t = cs::data::load_sentencepiece_tokenizer(
      std::string(CS_SOURCE_DIR) + "/models/demo/1l/" + cs::file_name(cs::File::tokenizer_model));
  return *t;
}

const cs::data::Tokenizer& byte_level_bpe_tokenizer() {
  static const auto t = cs::data::load_hf_tokenizer(std::string(CS_SOURCE_DIR) + "/tests/data/bpe/" +
                                                    cs::file_name(cs::File::tokenizer_json));
  return *t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const cs::data::Tokenizer* t :
       {&bytes_tokenizer(), &bpe_tokenizer(), &byte_level_bpe_tokenizer()}) try {
      cs::fuzz::check_tokenizer(*t, text);
    } catch (const cs::Error&) {
    }
  return 0;
}
