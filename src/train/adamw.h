#pragma once
// AdamW (decoupled weight decay, bias correction), PyTorch's torch.optim.AdamW semantics, and
// gradient clipping by global norm as torch.nn.utils.clip_grad_norm_. Weight decay skips the
// LayerNorm scale and bias.
#include <cstdint>
#include <vector>

#include "model/params.h"

namespace cs {

struct AdamWConfig {
  double beta1 = 0.9;
  double beta2 = 0.95;
  double eps = 1e-8;
  double weight_decay = 0.1;
  double grad_clip = 1.0;  // <= 0 disables clipping
};

template <class T>
class AdamW {
 public:
  AdamW(const ParamLayout& layout, AdamWConfig cfg);

  // Scales grads in place so their global L2 norm is at most grad_clip; returns the norm before.
  double clip(Params<T>& grads) const;
  void step(Params<T>& params, const Params<T>& grads, double lr);

  int64_t t = 0;        // steps taken
  std::vector<T> m, v;  // first and second moments, parameter layout
  AdamWConfig cfg;

 private:
  std::vector<uint8_t> decays_;  // per element: weight decay applies
};

}  // namespace cs
