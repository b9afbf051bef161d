#pragma once
// Training batches (docs/corpus.md): windows of n_ctx + 1 tokens at uniformly random offsets in the
// training range of the packed stream, GPT-style. The generator's four words are the whole data
// cursor, so a resumed run draws exactly the windows the uninterrupted run would have drawn.
#include <array>
#include <cstdint>

#include "core/rng.h"
#include "data/tokens.h"

namespace cs::data {

class BatchSampler {
 public:
  // Keeps a reference to STORE, which must outlive the sampler. Errors when the training range
  // is shorter than one window.
  BatchSampler(const TokenStore& store, int n_ctx, int batch, uint64_t seed);

  int n_ctx() const { return n_ctx_; }
  int batch() const { return batch_; }
  // Fills OUT, row-major [batch, n_ctx + 1]: inputs are [:, :n_ctx], targets [:, 1:].
  void next(int32_t* out);
  // The offsets next() would use, consuming them; exposed for tests and diagnostics.
  int64_t next_offset();

  std::array<uint64_t, 4> rng_state() const { return rng_.state(); }
  void set_rng_state(const std::array<uint64_t, 4>& s) { rng_.set_state(s); }

 private:
  const TokenStore& store_;
  int n_ctx_, batch_;
  uint64_t n_offsets_;  // valid window starts: [0, n_offsets_)
  cs::Rng rng_;
};

}  // namespace cs::data
