#pragma once
// Any hook point of a finished pass, by name: the points the Activations keep are copied from
// them; the others are computed again from what they keep and the weights, with the pass's own
// ops (model/hook_points.h): hook_embed and hook_pos_embed from W_E and W_pos, q and k before
// rotary from the attention's input, hook_attn_scores from the rotated q and k, hook_result from
// z and W_O. For a pass without hooks these equal what a hook would have seen.
#include <string>

#include "model/activations.h"
#include "model/params.h"

namespace cs {

template <class T>
HookTensor<T> read_hook(const Params<T>& params, const Activations<T>& acts, const std::string& name);

}  // namespace cs
