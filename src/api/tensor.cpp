// Tensors and views of the public API, the conversions from the library's own, and the thread count.
#include "api/impl.h"

#include <utility>

#include "core/error.h"
#include "core/gemm.h"

namespace circuitscope {

namespace {

// Offset of an index into an array of `shape` whose axes lie `strides` apart.
int64_t offset_of(std::initializer_list<int64_t> index, const std::vector<int64_t>& shape,
                  const std::vector<int64_t>& strides) {
  CS_CHECK(index.size() == shape.size(), "an index of " << index.size() << " axes into a tensor of " << shape.size());
  int64_t off = 0;
  size_t axis = 0;
  for (int64_t i : index) {
    CS_CHECK(i >= 0 && i < shape[axis], "index " << i << " is out of range for axis " << axis << " of size " << shape[axis]);
    off += i * strides[axis++];
  }
  return off;
}

}  // namespace

void set_num_threads(int n) {
  CS_CHECK(n >= 1, "set_num_threads needs at least 1 thread, got " << n);
  cs::set_num_threads(n);
}

int64_t Tensor::numel() const { return int64_t(data.size()); }

float Tensor::at(std::initializer_list<int64_t> index) const {
  return data[size_t(offset_of(index, shape, cs::dense_strides(shape)))];
}

float& TensorView::at(std::initializer_list<int64_t> index) const {
  return data[offset_of(index, shape, strides)];
}

Tensor TensorView::copy() const {
  Tensor t{shape, {}};
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  t.data.resize(size_t(n));
  cs::copy_view(cs::HookView<float>{data, shape, strides}, t.data.data());
  return t;
}

void TensorView::assign(const Tensor& t) const {
  CS_CHECK(t.shape == shape, "a tensor of another shape than the activation's (" << shape.size() << " axes)");
  cs::copy_to_view(t.data.data(), cs::HookView<float>{data, shape, strides});
}

Tensor to_tensor(cs::HookTensor<float> t) { return Tensor{std::move(t.shape), std::move(t.data)}; }

TensorView to_view(const cs::HookView<float>& v) { return TensorView{v.data, v.shape, v.strides}; }

ModelConfig public_config(const cs::Config& c) {
  return ModelConfig{c.n_layers, c.n_heads, c.d_model, c.d_head, c.d_mlp, c.d_vocab, c.n_ctx,
                     cs::to_string(c.positional_embedding_type), cs::to_string(c.normalization_type)};
}

}  // namespace circuitscope
