#pragma once
// GPT-2's pre-tokenizer (docs/tokenizers.md): text is cut into contractions, letter runs, digit
// runs, runs of other symbols and whitespace before BPE, which never merges across those cuts.
// The pattern runs on PCRE2 in UTF mode with Unicode properties.
#include <memory>
#include <string_view>
#include <vector>

namespace cs::data {

class Gpt2PreTokenizer {
 public:
  Gpt2PreTokenizer();
  ~Gpt2PreTokenizer();
  Gpt2PreTokenizer(const Gpt2PreTokenizer&) = delete;
  Gpt2PreTokenizer& operator=(const Gpt2PreTokenizer&) = delete;

  // Appends TEXT's pieces to OUT; together they are TEXT. Bytes that are not UTF-8 match no
  // alternative of the pattern: each run of them becomes a piece of its own, so byte-level BPE
  // still encodes them and the text comes back whole.
  void split(std::string_view text, std::vector<std::string_view>& out) const;

 private:
  struct Compiled;
  std::unique_ptr<Compiled> compiled_;
};

}  // namespace cs::data
