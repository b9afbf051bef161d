#pragma once
// Model configuration. Field names are TransformerLens's HookedTransformerConfig names so a
// config.json can be handed to TransformerLens unchanged.
#include <cstdint>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace cs {

enum class Positions { standard, shortformer, rotary };
enum class Normalization { none, LNPre, LN };

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

  // Throws cs::Error naming the first invalid field.
  void validate() const;
  int64_t qkv_width() const { return 3LL * n_heads * d_head; }
  bool has_pos_embed() const { return positional_embedding_type != Positions::rotary; }
  bool has_ln_params() const { return normalization_type == Normalization::LN; }
  bool normalized() const { return normalization_type != Normalization::none; }
};

std::string to_string(Positions p);
std::string to_string(Normalization n);  // "null" for none, as TransformerLens spells it in JSON
Positions parse_positions(const std::string& s);
Normalization parse_normalization(const std::string& s);

void to_json(nlohmann::json& j, const Config& c);
void from_json(const nlohmann::json& j, Config& c);

}  // namespace cs
