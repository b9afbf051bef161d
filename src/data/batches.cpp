#include "data/batches.h"

#include "core/error.h"

namespace cs::data {

BatchSampler::BatchSampler(const TokenStore& store, int n_ctx, int batch, uint64_t seed)
    : store_(store), n_ctx_(n_ctx), batch_(batch), rng_(seed) {
  CS_CHECK(n_ctx >= 1, "n_ctx must be positive, got " << n_ctx);
  CS_CHECK(batch >= 1, "batch must be positive, got " << batch);
  const int64_t window = int64_t(n_ctx) + 1;
  CS_CHECK(store.n_train_tokens() >= window,
           "corpus shorter than one context: " << store.n_train_tokens()
               << " training tokens, need n_ctx+1 = " << window);
  n_offsets_ = uint64_t(store.n_train_tokens() - window + 1);
}

int64_t BatchSampler::next_offset() { return int64_t(rng_.below(n_offsets_)); }

void BatchSampler::next(int32_t* out) {
  const int64_t window = int64_t(n_ctx_) + 1;
  for (int b = 0; b < batch_; ++b) store_.read(next_offset(), window, out + b * window);
}

}  // namespace cs::data
