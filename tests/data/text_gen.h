#pragma once
// Seeded pseudo-English for tokenizer and pipeline tests: real words, sentences and paragraphs, so
// BPE has merges to learn, generated rather than stored.
#include <string>
#include <vector>

#include "core/rng.h"

namespace cs::test {

inline std::string generated_text(uint64_t seed, size_t bytes) {
  static const std::vector<std::string> words = {
      "the", "model", "attention", "head", "token", "copies", "previous", "induction", "layer",
      "learns", "to", "predict", "next", "a", "of", "and", "in", "context", "circuit", "weights",
      "residual", "stream", "query", "key", "value", "matrix", "is", "that", "with", "for",
      "training", "loss", "falls", "when", "repeated", "sequence", "appears", "again", "def",
      "return", "x", "=", "(", ")", "lambda", "self", "print", "value,", "done."};
  cs::Rng rng(seed);
  std::string out;
  while (out.size() < bytes) {
    const int n = 5 + int(rng.below(12));
    for (int i = 0; i < n; ++i) {
      std::string w = words[rng.below(words.size())];
      if (i == 0) w[0] = char(std::toupper(static_cast<unsigned char>(w[0])));
      out += w;
      out += i + 1 < n ? " " : ".";
    }
    out += rng.below(4) == 0 ? "\n\n" : rng.below(3) == 0 ? "\n    " : " ";
  }
  return out;
}

}  // namespace cs::test
