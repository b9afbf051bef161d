#include "train/evaluate.h"

#include <algorithm>

#include "core/error.h"
#include "model/forward.h"

namespace cs {

std::vector<float> per_sequence_loss(const Params<float>& params, const std::vector<int32_t>& eval_tokens,
                                     int64_t n_eval, Activations<float>& acts) {
  const int64_t Tn = acts.Tn, B = acts.B, W = Tn + 1;
  CS_CHECK(int64_t(eval_tokens.size()) == n_eval * W, "evaluation tokens are not [n_eval, n_ctx + 1]");
  std::vector<float> out(n_eval * Tn);
  std::vector<int32_t> batch(B * W);
  for (int64_t s0 = 0; s0 < n_eval; s0 += B) {
    const int64_t n = std::min(B, n_eval - s0);
    for (int64_t b = 0; b < B; ++b)  // padding repeats the first sequence of the batch
      std::copy_n(eval_tokens.data() + (s0 + (b < n ? b : 0)) * W, W, batch.data() + b * W);
    acts.set_windows(batch.data());
    forward(params, acts);
    std::copy_n(acts.loss.data(), n * Tn, out.data() + s0 * Tn);
  }
  return out;
}

}  // namespace cs
