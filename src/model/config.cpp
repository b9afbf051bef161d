#include "model/config.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/json_integer.h"

namespace cs {

void Config::validate() const {
  CS_CHECK(n_layers >= 0, "n_layers must be >= 0, got " << n_layers);
  CS_CHECK(n_heads >= 1, "n_heads must be >= 1, got " << n_heads);
  CS_CHECK(d_model >= 1, "d_model must be >= 1, got " << d_model);
  CS_CHECK(d_head >= 1, "d_head must be >= 1, got " << d_head);
  CS_CHECK(n_ctx >= 1, "n_ctx must be >= 1, got " << n_ctx);
  CS_CHECK(d_vocab >= 2, "d_vocab must be >= 2, got " << d_vocab);
  CS_CHECK(d_vocab <= (1LL << 31) - 1, "d_vocab " << d_vocab << " exceeds what int32 tokens hold");
  CS_CHECK(positional_embedding_type != Positions::rotary || d_head % 2 == 0,
           "rotary positions need an even d_head, got " << d_head);
  CS_CHECK(ln_eps > 0, "ln_eps must be positive, got " << ln_eps);
  CS_CHECK(d_mlp >= 0, "d_mlp must be >= 0, got " << d_mlp);
  CS_CHECK(!parallel_attn_mlp || d_mlp > 0, "parallel_attn_mlp needs MLP blocks (d_mlp > 0)");
  CS_CHECK(rotary_dim >= 0 && rotary_dim <= d_head && rotary_dim % 2 == 0,
           "rotary_dim must be even and between 0 and d_head = " << d_head << ", got " << rotary_dim);
}

std::string to_string(Positions p) {
  switch (p) {
    case Positions::standard: return "standard";
    case Positions::shortformer: return "shortformer";
    case Positions::rotary: return "rotary";
  }
  return "?";
}

std::string to_string(Normalization n) {
  switch (n) {
    case Normalization::none: return "null";
    case Normalization::LNPre: return "LNPre";
    case Normalization::LN: return "LN";
  }
  return "?";
}

std::string to_string(ActFn a) {
  switch (a) {
    case ActFn::gelu: return "gelu";
    case ActFn::gelu_new: return "gelu_new";
    case ActFn::relu: return "relu";
  }
  return "?";
}

ActFn parse_act_fn(const std::string& s) {
  if (s == "gelu") return ActFn::gelu;
  if (s == "gelu_new") return ActFn::gelu_new;
  if (s == "relu") return ActFn::relu;
  fail("unknown act_fn '" + s + "' (expected gelu, gelu_new or relu)");
}

Positions parse_positions(const std::string& s) {
  if (s == "standard") return Positions::standard;
  if (s == "shortformer") return Positions::shortformer;
  if (s == "rotary") return Positions::rotary;
  fail("unknown positional_embedding_type '" + s + "' (expected standard, shortformer or rotary)");
}

Normalization parse_normalization(const std::string& s) {
  if (s == "null" || s == "none" || s.empty()) return Normalization::none;
  if (s == "LNPre") return Normalization::LNPre;
  if (s == "LN") return Normalization::LN;
  fail("unknown normalization_type '" + s + "' (expected null, LNPre or LN)");
}

void to_json(nlohmann::json& j, const Config& c) {
  j = nlohmann::json{{"n_layers", c.n_layers},
                     {"n_heads", c.n_heads},
                     {"d_model", c.d_model},
                     {"d_head", c.d_head},
                     {"n_ctx", c.n_ctx},
                     {"d_vocab", c.d_vocab},
                     {"positional_embedding_type", to_string(c.positional_embedding_type)},
                     {"attn_only", c.attn_only()},
                     {"act_fn", nullptr},
                     {"d_mlp", nullptr},
                     {"parallel_attn_mlp", c.parallel_attn_mlp},
                     {"biases", c.biases},
                     {"eps", c.ln_eps},
                     {"rotary_base", c.rotary_base},
                     {"rotary_dim", c.rotary_dims()}};
  if (!c.attn_only()) {
    j["act_fn"] = to_string(c.act_fn);
    j["d_mlp"] = c.d_mlp;
  }
  if (c.normalization_type == Normalization::none)
    j["normalization_type"] = nullptr;
  else
    j["normalization_type"] = to_string(c.normalization_type);
}

void from_json(const nlohmann::json& j, Config& c) {
  auto need = [&](const char* key) -> const nlohmann::json& {
    CS_CHECK(j.contains(key), "config is missing field '" << key << "'");
    return j.at(key);
  };
  c.n_layers = json_integer<int>(need("n_layers"), "config field n_layers");
  c.n_heads = json_integer<int>(need("n_heads"), "config field n_heads");
  c.d_model = json_integer<int>(need("d_model"), "config field d_model");
  c.d_head = json_integer<int>(need("d_head"), "config field d_head");
  c.n_ctx = json_integer<int>(need("n_ctx"), "config field n_ctx");
  c.d_vocab = json_integer<int>(need("d_vocab"), "config field d_vocab");
  c.positional_embedding_type = parse_positions(need("positional_embedding_type").get<std::string>());
  const auto& norm = j.contains("normalization_type") ? j.at("normalization_type") : nlohmann::json();
  c.normalization_type = norm.is_null() ? Normalization::none : parse_normalization(norm.get<std::string>());
  if (j.contains("eps")) c.ln_eps = j.at("eps").get<double>();
  if (j.contains("rotary_base")) c.rotary_base = j.at("rotary_base").get<double>();
  // TransformerLens writes d_mlp null (and attn_only true) for attention-only models.
  auto flag = [&](const char* key) {
    if (!j.contains(key) || j.at(key).is_null()) return false;
    CS_CHECK(j.at(key).is_boolean(), "config field " << key << " must be true or false");
    return j.at(key).get<bool>();
  };
  const bool attn_only = flag("attn_only");
  if (!attn_only && j.contains("d_mlp") && !j.at("d_mlp").is_null())
    c.d_mlp = json_integer<int>(j.at("d_mlp"), "config field d_mlp");
  if (c.d_mlp > 0) {
    CS_CHECK(need("act_fn").is_string(), "config field act_fn must be a string");
    c.act_fn = parse_act_fn(j.at("act_fn").get<std::string>());
  }
  c.parallel_attn_mlp = flag("parallel_attn_mlp");
  c.biases = flag("biases");
  if (j.contains("rotary_dim") && !j.at("rotary_dim").is_null()) {
    const int r = json_integer<int>(j.at("rotary_dim"), "config field rotary_dim");
    c.rotary_dim = r == c.d_head ? 0 : r;
  }
  c.validate();
}

}  // namespace cs
