#include "analysis/circuit_sources.h"

#include "analysis/skip_trigrams.h"
#include "core/error.h"
#include "data/tokenizer.h"

namespace cs::analysis {

int64_t find_token(const std::string& text, const data::Tokenizer* tok, int d_vocab) {
  if (text.size() > 1 && text[0] == '#' && text.find_first_not_of("0123456789", 1) == std::string::npos) {
    const int64_t id = std::stoll(text.substr(1));
    CS_CHECK(id < d_vocab, "token " << text << " is not in the vocabulary (ids 0.." << d_vocab - 1 << ")");
    return id;
  }
  CS_CHECK(tok, "cannot look up token '" << text << "' without the run's tokenizer; give #ID");
  for (int32_t id = 0; id < tok->d_vocab(); ++id)
    if (tok->piece(id) == text) return id;
  const std::vector<int32_t> ids = tok->encode(text);
  CS_CHECK(ids.size() == 1, "token '" << text << "' is not in the vocabulary (it encodes to " << ids.size()
                                      << " tokens)");
  return ids[0];
}

CircuitSources circuit_sources(const run::RunDir& run, const data::Tokenizer* tok,
                               const std::vector<std::string>& named, int64_t n_frequent) {
  CircuitSources s;
  if (!named.empty()) {
    for (const std::string& t : named) s.ids.push_back(find_token(t, tok, run.config().model.d_vocab));
    s.note = "given on the command line";
    return s;
  }
  CS_CHECK(tok, run.root() << " has no tokenizer to find the most frequent tokens; give --sources");
  s.ids = most_frequent_tokens(run.token_counts(), n_frequent, tok->bos_id());
  s.note = "the " + std::to_string(s.ids.size()) + " most frequent tokens of the training split (BOS left out)";
  return s;
}

}  // namespace cs::analysis
