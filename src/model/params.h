#pragma once
// One contiguous parameter buffer with named views. Names and shapes are exactly the keys of a
// TransformerLens HookedTransformer state dict for this config, so snapshots load unchanged there.
// Gradients and optimizer moments use the same layout.
#include <cstdint>
#include <string>
#include <vector>

#include "model/config.h"

namespace cs {

struct ParamView {
  std::string name;
  std::vector<int64_t> shape;
  int64_t offset = 0;
  int64_t numel = 0;
  bool decays = true;  // AdamW weight decay applies (not to LayerNorm scales or any bias)
};

class ParamLayout {
 public:
  explicit ParamLayout(const Config& cfg);
  const std::vector<ParamView>& views() const { return views_; }
  const ParamView& view(const std::string& name) const;
  bool has(const std::string& name) const;
  int64_t total() const { return total_; }

  // Offsets of the tensors the kernels touch, resolved once.
  // -1 where this config has no such tensor.
  int64_t W_E = -1, W_pos = -1, W_U = -1, b_U = -1, ln_final_w = -1, ln_final_b = -1;
  struct Block {
    int64_t W_Q = -1, W_K = -1, W_V = -1, W_O = -1, ln1_w = -1, ln1_b = -1;
    int64_t b_Q = -1, b_K = -1, b_V = -1, b_O = -1;  // only with Config::biases
    int64_t ln2_w = -1, ln2_b = -1, W_in = -1, b_in = -1, W_out = -1, b_out = -1;  // MLP blocks
  };
  std::vector<Block> blocks;

 private:
  int64_t add(const std::string& name, std::vector<int64_t> shape, bool decays = true);
  void add_mlp(const Config& c, const std::string& prefix, Block& b);
  std::vector<ParamView> views_;
  int64_t total_ = 0;
};

template <class T>
struct Params {
  Config cfg;
  ParamLayout layout;
  std::vector<T> data;

  explicit Params(const Config& c) : cfg(c), layout((c.validate(), c)), data(layout.total(), T(0)) {}

  T* ptr(int64_t offset) { return data.data() + offset; }
  const T* ptr(int64_t offset) const { return data.data() + offset; }
  T* operator[](const std::string& name) { return ptr(layout.view(name).offset); }
  // A tensor this config may lack (offset -1): nullptr then, for the kernels' optional biases.
  T* maybe(int64_t offset) { return offset < 0 ? nullptr : ptr(offset); }
  const T* maybe(int64_t offset) const { return offset < 0 ? nullptr : ptr(offset); }
  const T* operator[](const std::string& name) const { return ptr(layout.view(name).offset); }

  // TransformerLens's initialisation: every weight ~ N(0, initializer_range) with
  // initializer_range = 0.8 / sqrt(d_model); LayerNorm scale 1; every bias 0.
  void init(uint64_t seed);
};

}  // namespace cs
