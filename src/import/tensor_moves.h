#pragma once
// The reshapes both layouts need to move Hugging Face tensors into TransformerLens's layout
// (docs/definitions.md: vectors are rows, weights multiply from the right).
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "import/hf_weights.h"
#include "model/params.h"

namespace cs::hf {

// [rows, cols] -> [cols, rows]: torch Linear stores [out, in], TransformerLens [in, out].
std::vector<float> transpose(const std::vector<float>& a, int64_t rows, int64_t cols);

// Copies into the parameter NAME; the sizes must agree.
void put(Params<float>& p, const std::string& name, const std::vector<float>& values);

// How the 3·H·d_head columns of a fused query/key/value projection are ordered.
enum class QkvColumns {
  part_head_dim,  // GPT-2's c_attn: all of Q, then K, then V, each head after head
  head_part_dim,  // GPT-NeoX's query_key_value: head after head, each Q, K, V
};

// A fused projection [rows, 3·H·d_head] -> Q, K, V, each [H, rows, d_head] (rows = 1 for a bias:
// [H, d_head]).
std::array<std::vector<float>, 3> split_qkv(const std::vector<float>& w, int64_t rows, int n_heads,
                                            int d_head, QkvColumns order);

// HF_NAME.weight and HF_NAME.bias into TL_NAME.w and TL_NAME.b.
void put_layer_norm(Params<float>& p, const std::string& tl_name, HfWeights& w, const std::string& hf_name);

}  // namespace cs::hf
