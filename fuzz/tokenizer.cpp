// Arbitrary bytes through both tokenizers: the byte tokenizer and the sentencepiece model the demo
// ships. Ids must lie in the vocabulary and valid UTF-8 must come back unchanged (the Tokenizer
// contract); a cs::Error is a clean refusal.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "core/error.h"
#include "core/files.h"
#include "data/tokenizer.h"
#include "data/utf8.h"

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

void check(const cs::data::Tokenizer& t, std::string_view text) {
  const auto ids = t.encode(text);
  for (int32_t id : ids)
    if (id < 0 || id >= t.d_vocab()) std::abort();
  const std::string back = t.decode(ids);
  if (cs::data::find_invalid_utf8(text) == std::string::npos && back != text) std::abort();
  for (int32_t id : ids) t.piece(id);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const cs::data::Tokenizer* t : {&bytes_tokenizer(), &bpe_tokenizer()}) try {
      check(*t, text);
    } catch (const cs::Error&) {
    }
  return 0;
}
