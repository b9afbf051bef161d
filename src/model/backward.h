#pragma once
// The training step's gradient: forward, fused unembedding + cross-entropy, then each op's
// backward in reverse. Interventions are for analysis and are not differentiated.
#include "model/activations.h"
#include "model/params.h"

namespace cs {

// acts must hold windows (set_windows). Overwrites grads with d(mean loss)/d(params) and returns
// the mean loss in nats.
template <class T>
T forward_backward(const Params<T>& params, Activations<T>& acts, Params<T>& grads);

}  // namespace cs
