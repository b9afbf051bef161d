#pragma once
// Hooks on a forward pass, as TransformerLens's run_with_hooks has them: a function called at each
// hook point the caller selects (model/hook_points.h), in the order the pass reaches them, with the
// activation in place. What it writes there is what the rest of the pass computes from, except at
// the points marked read-only.
#include <cstdint>
#include <functional>
#include <vector>

#include "model/hook_points.h"

namespace cs {

// An activation where it lies: TransformerLens's shape, strides in elements (q, k and v are
// strided views of one [B, T, 3, H, K] buffer).
template <class T>
struct HookView {
  T* data = nullptr;
  std::vector<int64_t> shape, strides;
};

template <class T>
struct ForwardHooks {
  // Which points to call; asked once per point at the start of each pass. Points nobody wants
  // cost nothing: a pass computes attention scores, head results or the MLP's halves apart only
  // when a hook wants them.
  std::function<bool(const HookPoint&)> wants;
  std::function<void(const HookPoint&, const HookView<T>&)> call;
};

// Strides of a dense row-major array of `shape`.
std::vector<int64_t> dense_strides(const std::vector<int64_t>& shape);

// The view's values, dense and row-major, into dst.
template <class T>
void copy_view(const HookView<T>& view, T* dst);
// Dense row-major values from src into the view.
template <class T>
void copy_to_view(const T* src, const HookView<T>& view);

}  // namespace cs
