#include "import/tensor_moves.h"

#include <algorithm>

#include "core/error.h"

namespace cs::hf {

std::vector<float> transpose(const std::vector<float>& a, int64_t rows, int64_t cols) {
  std::vector<float> t(a.size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) t[c * rows + r] = a[r * cols + c];
  return t;
}

void put(Params<float>& p, const std::string& name, const std::vector<float>& values) {
  const ParamView& v = p.layout.view(name);
  CS_CHECK(int64_t(values.size()) == v.numel,
           "internal: " << values.size() << " values for " << name << " of " << v.numel);
  std::copy(values.begin(), values.end(), p.data.begin() + v.offset);
}

std::array<std::vector<float>, 3> split_qkv(const std::vector<float>& w, int64_t rows, int n_heads,
                                            int d_head, QkvColumns order) {
  const int64_t H = n_heads, K = d_head, width = 3 * H * K;
  std::array<std::vector<float>, 3> out;
  for (int part = 0; part < 3; ++part) {
    out[part].resize(size_t(H * rows * K));
    for (int64_t h = 0; h < H; ++h) {
      const int64_t first = order == QkvColumns::part_head_dim ? (part * H + h) * K : (h * 3 + part) * K;
      for (int64_t r = 0; r < rows; ++r)
        std::copy_n(w.begin() + r * width + first, K, out[part].begin() + (h * rows + r) * K);
    }
  }
  return out;
}

void put_layer_norm(Params<float>& p, const std::string& tl_name, HfWeights& w, const std::string& hf_name) {
  const int64_t D = p.cfg.d_model;
  put(p, tl_name + ".w", w.take(hf_name + ".weight", {D}));
  put(p, tl_name + ".b", w.take(hf_name + ".bias", {D}));
}

}  // namespace cs::hf
