#pragma once
// Which source tokens the skip-trigram tables cover: tokens a user names, or the most frequent
// tokens of the run's training split.
#include <cstdint>
#include <string>
#include <vector>

#include "run/run_dir.h"

namespace cs::data {
class Tokenizer;
}

namespace cs::analysis {

// A token as a user types it: its display form (as in the tables), "#ID", or text that encodes
// to exactly one token. Without a tokenizer only "#ID" works.
int64_t find_token(const std::string& text, const data::Tokenizer* tokenizer, int d_vocab);

struct CircuitSources {
  std::vector<int64_t> ids;
  std::string note;  // how they were chosen
};

// `named` (find_token each) when given, else the n_frequent most frequent training tokens (BOS
// left out), which needs the run's tokenizer.
CircuitSources circuit_sources(const run::RunDir& run, const data::Tokenizer* tokenizer,
                               const std::vector<std::string>& named, int64_t n_frequent);

}  // namespace cs::analysis
