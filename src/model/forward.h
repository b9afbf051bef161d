#pragma once
// Forward pass of the model of docs/definitions.md with an activation cache and optional
// interventions. Computes the per-token loss when the activations hold targets, and logits when
// they keep them.
#include "model/activations.h"
#include "model/interventions.h"
#include "model/ops/mlp.h"
#include "model/params.h"

namespace cs {

template <class T>
void forward(const Params<T>& params, Activations<T>& acts, const Interventions<T>* iv = nullptr);

// One layer's attention on the stream x (writing its cache entries for `layer`), adding the sum of
// the heads' results into out. Exposed for the path-order passes and the backward pass's tests.
template <class T>
void attention_layer_forward(const Params<T>& params, Activations<T>& acts, int layer, const T* x,
                             T* out, const Interventions<T>* iv);

// Layer `layer`'s MLP weights (W_in, b_in, W_out, b_out) as the MLP op takes them.
template <class T>
MlpWeights<T> mlp_weights(const Params<T>& params, int layer);

}  // namespace cs
