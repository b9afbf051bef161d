#pragma once
// The corpus the command-line tests train their tiny runs on: 120 documents of random words of
// 2-6 letters, a third of them said twice in a row (so induction has something to find),
// separated by form-feed lines. Seeded: the same text on every machine.
#include <random>
#include <string>

namespace cs::test {

inline std::string word_corpus() {
  std::mt19937 rng(5);
  std::string corpus;
  for (int d = 0; d < 120; ++d) {
    std::string doc;
    while (doc.size() < 150) {
      std::string word;
      for (int k = 0; k < 2 + int(rng() % 5); ++k) word += char('a' + rng() % 20);
      doc += word + (rng() % 3 ? " " : " " + word + " ");
    }
    corpus += (d ? "\n\f\n" : "") + doc;
  }
  return corpus;
}

}  // namespace cs::test
