#pragma once
// GPT-2's byte-level alphabet (docs/tokenizers.md): every byte stands for one printable character,
// so published vocabularies and merge lists spell any byte string as visible text. Printable
// Latin-1 bytes keep their own character; the other 68 take U+0100 onwards, in byte order.
#include <optional>
#include <string>
#include <string_view>

namespace cs::data {

// The UTF-8 of the characters that stand for RAW's bytes.
std::string to_byte_chars(std::string_view raw);

// The bytes that CHARS (UTF-8) stands for; nullopt when a character is outside the alphabet.
std::optional<std::string> from_byte_chars(std::string_view chars);

}  // namespace cs::data
