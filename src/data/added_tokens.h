#pragma once
// Finds added tokens (such as <|endoftext|>) in text before pre-tokenizing, as Hugging Face's
// tokenizers does: at each position the longest token wins, tokens with normalized false are
// found first and the others only in the text between them.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "data/bpe_spec.h"

namespace cs::data {

class AddedTokenFinder {
 public:
  explicit AddedTokenFinder(const std::vector<AddedToken>& tokens);

  struct Segment {
    std::string_view text;
    int32_t id;  // the added token's id, or -1 for text in between
  };
  // TEXT as consecutive segments; text between added tokens is never empty.
  std::vector<Segment> split(std::string_view text) const;

 private:
  // One pass: its tokens longest first, and which bytes can start one.
  struct Pass {
    std::vector<std::pair<std::string, int32_t>> tokens;
    std::string first_bytes;
    void split(std::string_view text, std::vector<Segment>& out) const;
  };
  Pass raw_, normalized_;
};

}  // namespace cs::data
