#include "model/hook_runner.h"

#include "core/error.h"

namespace cs {

template <class T>
HookRunner<T>::HookRunner(const ForwardHooks<T>* hooks, Activations<T>& acts) : hooks_(hooks), acts_(&acts) {
  if (!hooks_) return;
  CS_CHECK(hooks_->call, "forward hooks without a function to call");
  for (HookPoint& p : hook_points(acts.cfg, acts.B, acts.Tn))
    if (!hooks_->wants || hooks_->wants(p)) wanted_.push_back(std::move(p));
}

template <class T>
const HookPoint* HookRunner<T>::find(HookSite site, int layer) const {
  for (const HookPoint& p : wanted_)
    if (p.site == site && p.layer == layer) return &p;
  return nullptr;
}

template <class T>
void HookRunner<T>::at(HookSite site, int layer) const {
  if (const HookPoint* p = find(site, layer)) hooks_->call(*p, acts_->view(*p));
}

template <class T>
void HookRunner<T>::at(HookSite site, int layer, T* data) const {
  if (const HookPoint* p = find(site, layer)) hooks_->call(*p, HookView<T>{data, p->shape, dense_strides(p->shape)});
}

template <class T>
void HookRunner<T>::at(HookSite site, int layer, const HookView<T>& view) const {
  if (const HookPoint* p = find(site, layer)) hooks_->call(*p, view);
}

template class HookRunner<float>;
template class HookRunner<double>;

}  // namespace cs
