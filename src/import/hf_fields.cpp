#include "import/hf_fields.h"

#include "core/error.h"

namespace cs::hf {

namespace {

bool absent(const nlohmann::json& cfg, const char* key) { return !cfg.contains(key) || cfg.at(key).is_null(); }

}  // namespace

int positive_int(const nlohmann::json& cfg, const char* key) {
  CS_CHECK(!absent(cfg, key), "config.json has no field '" << key << "'");
  const auto& v = cfg.at(key);
  CS_CHECK(v.is_number_integer() && v.get<int64_t>() >= 1 && v.get<int64_t>() <= (1LL << 31) - 1,
           "config.json field '" << key << "' must be a positive integer, got " << v.dump());
  return v.get<int>();
}

int positive_int_or(const nlohmann::json& cfg, const char* key, int fallback) {
  return absent(cfg, key) ? fallback : positive_int(cfg, key);
}

double positive_number_or(const nlohmann::json& cfg, const char* key, double fallback) {
  if (absent(cfg, key)) return fallback;
  const auto& v = cfg.at(key);
  CS_CHECK(v.is_number() && v.get<double>() > 0,
           "config.json field '" << key << "' must be a positive number, got " << v.dump());
  return v.get<double>();
}

bool flag_or(const nlohmann::json& cfg, const char* key, bool fallback) {
  if (absent(cfg, key)) return fallback;
  CS_CHECK(cfg.at(key).is_boolean(), "config.json field '" << key << "' must be true or false, got " << cfg.at(key).dump());
  return cfg.at(key).get<bool>();
}

std::string string_or(const nlohmann::json& cfg, const char* key, const std::string& fallback) {
  if (absent(cfg, key)) return fallback;
  CS_CHECK(cfg.at(key).is_string(), "config.json field '" << key << "' must be a string, got " << cfg.at(key).dump());
  return cfg.at(key).get<std::string>();
}

ActFn activation(const std::string& name, const char* key) {
  if (name == "gelu") return ActFn::gelu;
  if (name == "gelu_new") return ActFn::gelu_new;
  if (name == "relu") return ActFn::relu;
  fail(std::string("config.json field '") + key + "' is '" + name + "'; circuitscope computes gelu, gelu_new and relu");
}

void require_value(const nlohmann::json& cfg, const char* key, const nlohmann::json& expected) {
  if (absent(cfg, key)) return;
  CS_CHECK(cfg.at(key) == expected, "config.json field '" << key << "' is " << cfg.at(key).dump()
                                                           << "; circuitscope imports only models with " << expected.dump());
}

}  // namespace cs::hf
