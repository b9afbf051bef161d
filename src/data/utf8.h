#pragma once
// Corpora are UTF-8 by contract (docs/corpus.md); a bad byte found late would silently become
// byte-fallback tokens, so text is checked once on the way in.
#include <cstddef>
#include <string>
#include <string_view>

namespace cs::data {

// Offset of the first byte that starts an invalid UTF-8 sequence (overlong forms, surrogates and
// code points above U+10FFFF count as invalid), or std::string::npos when the text is valid.
size_t find_invalid_utf8(std::string_view text);

// Throws cs::Error "WHERE: invalid UTF-8 at byte OFFSET (byte 0xNN)" when the text is not UTF-8.
void check_utf8(std::string_view text, const std::string& where, size_t base_offset = 0);

}  // namespace cs::data
