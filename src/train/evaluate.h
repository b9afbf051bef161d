#pragma once
// Per-token loss of the fixed evaluation sequences (docs/icl.md): the rows of the talk's
// "training step x token index" picture.
#include <cstdint>
#include <vector>

#include "model/activations.h"
#include "model/params.h"

namespace cs {

// eval_tokens [n_eval, n_ctx + 1]; returns [n_eval, n_ctx] losses in nats. acts fixes the batch
// size (its seq must be n_ctx); the last partial batch is padded and its padding discarded.
std::vector<float> per_sequence_loss(const Params<float>& params, const std::vector<int32_t>& eval_tokens,
                                     int64_t n_eval, Activations<float>& acts);

}  // namespace cs
