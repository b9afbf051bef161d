#include "data/nfc.h"

#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>

#include <cstdint>
#include <limits>

#include "core/error.h"
#include "data/utf8.h"

namespace cs::data {

std::string nfc(std::string_view text) {
  const size_t bad = find_invalid_utf8(text);
  CS_CHECK(bad == std::string_view::npos,
           "this tokenizer normalizes text to NFC, which needs UTF-8; byte " << bad << " is not");
  CS_CHECK(text.size() <= size_t(std::numeric_limits<int32_t>::max()),
           "text of " << text.size() << " bytes is too long for NFC normalization (ICU takes 2 GiB)");
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* normalizer = icu::Normalizer2::getNFCInstance(status);
  const icu::StringPiece piece(text.data(), int32_t(text.size()));
  // Most text is NFC already: checking is cheaper than rewriting it.
  if (U_SUCCESS(status) && normalizer->isNormalizedUTF8(piece, status)) return std::string(text);
  std::string out;
  icu::StringByteSink<std::string> sink(&out, int32_t(text.size()));
  if (U_SUCCESS(status)) normalizer->normalizeUTF8(0, piece, sink, nullptr, status);
  CS_CHECK(U_SUCCESS(status), "NFC normalization failed (ICU: " << u_errorName(status) << ")");
  return out;
}

}  // namespace cs::data
