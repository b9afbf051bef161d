#pragma once
// The forward pass's side of ForwardHooks (model/hooks.h): which points of this pass are wanted,
// and the call at each, with the activation found in the pass's buffers (points the Activations
// keep) or where the pass computed it for the hook alone.
#include <vector>

#include "model/activations.h"
#include "model/hooks.h"

namespace cs {

template <class T>
class HookRunner {
 public:
  HookRunner() = default;  // no hooks: every wants() is false
  HookRunner(const ForwardHooks<T>* hooks, Activations<T>& acts);

  bool active() const { return hooks_ != nullptr; }
  bool wants(HookSite site, int layer = -1) const { return find(site, layer) != nullptr; }
  // The hook at a point the Activations keep.
  void at(HookSite site, int layer = -1) const;
  // The hook at a point whose values lie in `data` (dense, in the point's shape) or in `view`.
  void at(HookSite site, int layer, T* data) const;
  void at(HookSite site, int layer, const HookView<T>& view) const;

 private:
  const HookPoint* find(HookSite site, int layer) const;

  const ForwardHooks<T>* hooks_ = nullptr;
  Activations<T>* acts_ = nullptr;
  std::vector<HookPoint> wanted_;  // in the order of the table
};

}  // namespace cs
