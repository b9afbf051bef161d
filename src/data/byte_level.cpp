#include "data/byte_level.h"

#include <array>
#include <cstdint>

namespace cs::data {

namespace {

// The alphabet's characters all lie below U+0144: one or two UTF-8 bytes each.
constexpr char32_t kEnd = 256 + 68;

struct Alphabet {
  std::array<char32_t, 256> char_of{};
  std::array<int16_t, kEnd> byte_of{};  // -1: not a character of the alphabet

  Alphabet() {
    byte_of.fill(-1);
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      char_of[size_t(b)] = printable ? char32_t(b) : next++;
      byte_of[char_of[size_t(b)]] = int16_t(b);
    }
  }
};

const Alphabet& alphabet() {
  static const Alphabet a;
  return a;
}

}  // namespace

std::string to_byte_chars(std::string_view raw) {
  const Alphabet& a = alphabet();
  std::string out;
  out.reserve(raw.size() * 2);
  for (const char byte : raw) {
    const char32_t c = a.char_of[static_cast<unsigned char>(byte)];
    if (c < 0x80) {
      out += char(c);
    } else {
      out += char(0xC0 | (c >> 6));
      out += char(0x80 | (c & 0x3F));
    }
  }
  return out;
}

std::optional<std::string> from_byte_chars(std::string_view chars) {
  const Alphabet& a = alphabet();
  std::string out;
  out.reserve(chars.size());
  for (size_t i = 0; i < chars.size(); ++i) {
    const auto lead = static_cast<unsigned char>(chars[i]);
    char32_t c = lead;
    if (lead >= 0x80) {
      // Only two-byte forms can be in the alphabet; an overlong one stands for nothing.
      if ((lead & 0xE0) != 0xC0 || i + 1 == chars.size()) return std::nullopt;
      const auto next = static_cast<unsigned char>(chars[++i]);
      if ((next & 0xC0) != 0x80) return std::nullopt;
      c = char32_t(lead & 0x1F) << 6 | (next & 0x3F);
      if (c < 0x80) return std::nullopt;
    }
    if (c >= kEnd || a.byte_of[c] < 0) return std::nullopt;
    out += char(a.byte_of[c]);
  }
  return out;
}

}  // namespace cs::data
