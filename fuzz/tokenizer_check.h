#pragma once
// The Tokenizer contract (src/data/tokenizer.h) on one text: ids lie in the vocabulary, each has a
// piece, and valid UTF-8 comes back unchanged unless it spelled the BOS token, which decode drops.
// A broken contract aborts, which libFuzzer reports as a finding.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "data/tokenizer.h"
#include "data/utf8.h"

namespace cs::fuzz {

inline void check_tokenizer(const cs::data::Tokenizer& t, std::string_view text) {
  const auto ids = t.encode(text);
  bool spelled_bos = false;
  for (int32_t id : ids) {
    if (id < 0 || id >= t.d_vocab()) std::abort();
    spelled_bos |= id == t.bos_id();
  }
  const std::string back = t.decode(ids);
  if (!spelled_bos && cs::data::find_invalid_utf8(text) == std::string::npos && back != text) std::abort();
  for (int32_t id : ids) t.piece(id);
}

}  // namespace cs::fuzz
