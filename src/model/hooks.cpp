#include "model/hooks.h"

namespace cs {

std::vector<int64_t> dense_strides(const std::vector<int64_t>& shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;) s[i - 1] = s[i] * shape[i];
  return s;
}

namespace {

// Walks the view's axes; at each element, move(element, dense_index).
template <class T, class Move>
int64_t walk(const HookView<T>& v, size_t axis, T* at, int64_t dense, const Move& move) {
  const int64_t n = v.shape[axis], stride = v.strides[axis];
  for (int64_t i = 0; i < n; ++i) {
    if (axis + 1 == v.shape.size())
      move(at + i * stride, dense++);
    else
      dense = walk(v, axis + 1, at + i * stride, dense, move);
  }
  return dense;
}

}  // namespace

template <class T>
void copy_view(const HookView<T>& view, T* dst) {
  if (!view.shape.empty()) walk(view, 0, view.data, 0, [&](T* x, int64_t i) { dst[i] = *x; });
}

template <class T>
void copy_to_view(const T* src, const HookView<T>& view) {
  if (!view.shape.empty()) walk(view, 0, view.data, 0, [&](T* x, int64_t i) { *x = src[i]; });
}

template void copy_view<float>(const HookView<float>&, float*);
template void copy_view<double>(const HookView<double>&, double*);
template void copy_to_view<float>(const float*, const HookView<float>&);
template void copy_to_view<double>(const double*, const HookView<double>&);

}  // namespace cs
