#pragma once
// Texts that a byte-level BPE read by a fuzzed reader must encode within the Tokenizer contract:
// every alternative of GPT-2's pattern, added tokens, and bytes that are not UTF-8.
#include <string_view>

#include "data/tokenizer.h"
#include "tokenizer_check.h"

namespace cs::fuzz {

inline constexpr std::string_view kBpeSamples[] = {
    "The cat didn't sit; she's sure I'll win.\n\tx = 12345  # ok\r\n\n   ",
    "Caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E \xF0\x9F\x99\x82<|endoftext|>x<|endoftext|",
    "\xFF\xC3 a\x80\xED\xA0\x80",
};

// Checks a tokenizer that a reader accepted; a cs::Error while encoding is a clean refusal too.
inline void check_bpe_samples(const cs::data::Tokenizer& t) {
  for (std::string_view text : kBpeSamples) check_tokenizer(t, text);
}

}  // namespace cs::fuzz
