#pragma once
// One buffer per layer, as a pass that keeps its whole cache needs; or, for a pass that keeps only
// what the next layer reads (inference over big models), a few buffers that the layers take in
// turn: layer l uses buffer l % slots.
#include <cstddef>
#include <vector>

namespace cs {

template <class V>
class LayerBuffers {
 public:
  // `layers` entries, each `value`; slots 0 gives every layer its own.
  void assign(size_t layers, const V& value, size_t slots = 0) {
    layers_ = layers;
    buffers_.assign(slots == 0 || slots > layers ? layers : slots, value);
  }
  V& operator[](size_t layer) { return buffers_[layer % buffers_.size()]; }
  const V& operator[](size_t layer) const { return buffers_[layer % buffers_.size()]; }
  size_t size() const { return layers_; }
  bool empty() const { return buffers_.empty(); }
  // Memory held, in bytes.
  size_t bytes() const {
    size_t n = 0;
    for (const V& b : buffers_) n += b.size() * sizeof(typename V::value_type);
    return n;
  }
  // Whether every layer has a buffer of its own.
  bool every_layer() const { return buffers_.size() == layers_; }

 private:
  std::vector<V> buffers_;
  size_t layers_ = 0;
};

}  // namespace cs
