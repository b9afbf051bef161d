#include "data/eval_set.h"

#include <algorithm>

#include "core/error.h"
#include "core/rng.h"

namespace cs::data {

EvalWindows parse_eval_windows(const std::string& name) {
  if (name == "random") return EvalWindows::random_offset;
  if (name == "start") return EvalWindows::document_start;
  fail("unknown evaluation windows '" + name + "' (random | start)");
}

std::string to_string(EvalWindows w) { return w == EvalWindows::random_offset ? "random" : "start"; }

EvalSet build_eval_set(const TokenStore& store, int n_ctx, int n_eval, uint64_t seed, EvalWindows windows,
                       int min_sequences) {
  CS_CHECK(n_ctx >= 1, "n_ctx must be positive, got " << n_ctx);
  CS_CHECK(n_eval >= 1, "the number of evaluation sequences must be positive, got " << n_eval);
  const int64_t window = int64_t(n_ctx) + 1;
  EvalSet e;
  e.n_ctx = n_ctx;
  std::vector<int64_t> candidates;
  for (int64_t d : store.eval_documents()) {
    ++e.n_held_out;
    if (store.documents()[size_t(d)].size() >= window) candidates.push_back(d);
  }
  e.n_candidates = int64_t(candidates.size());
  CS_CHECK(e.n_candidates >= min_sequences,
           "evaluation set too small: " << e.n_candidates << " of " << e.n_held_out
               << " held-out documents hold at least n_ctx+1 = " << window << " tokens, need "
               << min_sequences << " (use a larger corpus, a larger --eval-fraction or a smaller "
               << "--n-ctx)");
  if (e.n_candidates > n_eval) {
    cs::Rng rng(seed ^ 0x6576616cull);  // "eval": independent of the split and batch draws
    for (int64_t i = 0; i < n_eval; ++i) {
      const int64_t j = i + int64_t(rng.below(uint64_t(e.n_candidates - i)));
      std::swap(candidates[size_t(i)], candidates[size_t(j)]);
    }
    candidates.resize(size_t(n_eval));
    std::sort(candidates.begin(), candidates.end());
  }
  e.documents = candidates;
  e.offsets.assign(candidates.size(), 0);
  if (windows == EvalWindows::random_offset) {
    cs::Rng rng(seed ^ 0x6f6666736574ull);  // "offset": a stream of its own, so the documents stay as above
    for (size_t r = 0; r < candidates.size(); ++r)
      e.offsets[r] = int64_t(rng.below(uint64_t(store.documents()[size_t(candidates[r])].size() - window + 1)));
  }
  e.tokens.resize(candidates.size() * size_t(window));
  for (size_t r = 0; r < candidates.size(); ++r)
    store.read(store.documents()[size_t(candidates[r])].begin + e.offsets[r], window, &e.tokens[r * size_t(window)]);
  return e;
}

}  // namespace cs::data
