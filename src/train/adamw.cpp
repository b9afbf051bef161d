#include "train/adamw.h"

#include "core/lane_sum.h"
#include "core/parallel.h"

#include <cmath>

namespace cs {

template <class T>
AdamW<T>::AdamW(const ParamLayout& layout, AdamWConfig c)
    : m(layout.total(), T(0)), v(layout.total(), T(0)), cfg(c), decays_(layout.total(), 1) {
  for (const auto& view : layout.views())
    if (!view.decays)
      for (int64_t i = 0; i < view.numel; ++i) decays_[view.offset + i] = 0;
}

template <class T>
double AdamW<T>::clip(Params<T>& grads) const {
  const T* gd = grads.data.data();
  const double norm =
      std::sqrt(lane_sum(int64_t(grads.data.size()), [gd](int64_t i) { return double(gd[i]) * double(gd[i]); }));
  if (cfg.grad_clip > 0) {
    const double coef = cfg.grad_clip / (norm + 1e-6);
    if (coef < 1)
      for (T& g : grads.data) g = T(double(g) * coef);
  }
  return norm;
}

template <class T>
void AdamW<T>::step(Params<T>& params, const Params<T>& grads, double lr) {
  ++t;
  const double bc1 = 1 - std::pow(cfg.beta1, double(t));
  const double bc2 = 1 - std::pow(cfg.beta2, double(t));
  const double step_size = lr / bc1, inv_sqrt_bc2 = 1 / std::sqrt(bc2);
  const T b1 = T(cfg.beta1), b2 = T(cfg.beta2), decay = T(1 - lr * cfg.weight_decay);
  T* p = params.data.data();
  const T* g = grads.data.data();
  const int64_t n = int64_t(params.data.size());
#pragma omp parallel for schedule(static) if (n > kParallelWork)
  for (int64_t i = 0; i < n; ++i) {
    if (decays_[i]) p[i] *= decay;
    m[i] = b1 * m[i] + (1 - b1) * g[i];
    v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
    const T denom = T(std::sqrt(double(v[i])) * inv_sqrt_bc2 + cfg.eps);
    p[i] -= T(step_size) * m[i] / denom;
  }
}

template class AdamW<float>;
template class AdamW<double>;

}  // namespace cs
