#pragma once
// Finds added tokens (such as <|endoftext|>) in text before pre-tokenizing, as Hugging Face's
// tokenizers does: at each position the longest token wins. The tokenizer runs two finders: one
// for the tokens with normalized false on the text itself, then one for the others on the
// normalized text between those.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cs::data {

class AddedTokenFinder {
 public:
  // (content, id) pairs; contents are not empty.
  explicit AddedTokenFinder(std::vector<std::pair<std::string, int32_t>> tokens);

  struct Segment {
    std::string_view text;
    int32_t id;  // the added token's id, or -1 for text in between
  };
  // Appends TEXT as consecutive segments to OUT; text between added tokens is never empty.
  void split(std::string_view text, std::vector<Segment>& out) const;

 private:
  std::vector<std::pair<std::string, int32_t>> tokens_;  // longest first
  std::string first_bytes_;                               // the bytes that can start one
};

}  // namespace cs::data
