#pragma once
// Model configuration. Field names are TransformerLens's HookedTransformerConfig names so a
// config.json can be handed to TransformerLens unchanged.
#include <cstdint>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace cs {

enum class Positions { standard, shortformer, rotary };
enum class Normalization { none, LNPre, LN };
// The MLP's activation: exact (erf) GELU, GPT-2's tanh form, or ReLU.
enum class ActFn { gelu, gelu_new, relu };

struct Config {
  int n_layers = 2;
  int n_heads = 8;
  int d_model = 128;
  int d_head = 16;
  int n_ctx = 512;
  int d_vocab = 4096;
  Positions positional_embedding_type = Positions::shortformer;
  Normalization normalization_type = Normalization::none;
  double ln_eps = 1e-5;
  double rotary_base = 10000.0;
  // Rotary on the first rotary_dim dimensions of each head (GPT-NeoX/Pythia); 0: the whole d_head.
  int rotary_dim = 0;
  // MLP blocks (docs/definitions.md): 0 is the attention-only model.
  int d_mlp = 0;
  ActFn act_fn = ActFn::gelu;
  // Attention and MLP both read the block's input (GPT-NeoX/Pythia) instead of the MLP reading
  // the stream after attention.
  bool parallel_attn_mlp = false;
  // b_Q, b_K, b_V, b_O and b_U are parameters (trained, or carried by an imported model); without
  // them snapshots still carry zero biases, as TransformerLens expects.
  bool biases = false;

  // Throws cs::Error naming the first invalid field.
  void validate() const;
  int64_t qkv_width() const { return 3LL * n_heads * d_head; }
  bool has_pos_embed() const { return positional_embedding_type != Positions::rotary; }
  bool has_ln_params() const { return normalization_type == Normalization::LN; }
  bool normalized() const { return normalization_type != Normalization::none; }
  bool attn_only() const { return d_mlp == 0; }
  int rotary_dims() const { return rotary_dim > 0 ? rotary_dim : d_head; }
};

std::string to_string(Positions p);
std::string to_string(Normalization n);  // "null" for none, as TransformerLens spells it in JSON
Positions parse_positions(const std::string& s);
Normalization parse_normalization(const std::string& s);
std::string to_string(ActFn a);
ActFn parse_act_fn(const std::string& s);

void to_json(nlohmann::json& j, const Config& c);
void from_json(const nlohmann::json& j, Config& c);

}  // namespace cs
