#pragma once
// Typed reads of a Hugging Face config.json's fields. Each failure is a cs::Error naming the field,
// so a config that does not describe the model it claims to stops the import with one line.
#include <nlohmann/json.hpp>
#include <string>

#include "model/config.h"

namespace cs::hf {

// A required positive integer.
int positive_int(const nlohmann::json& cfg, const char* key);
// A positive integer, or `fallback` where the field is absent or null (as Hugging Face's defaults).
int positive_int_or(const nlohmann::json& cfg, const char* key, int fallback);
double positive_number_or(const nlohmann::json& cfg, const char* key, double fallback);
bool flag_or(const nlohmann::json& cfg, const char* key, bool fallback);
std::string string_or(const nlohmann::json& cfg, const char* key, const std::string& fallback);
// Hugging Face's activation names that circuitscope computes: gelu (exact), gelu_new, relu.
ActFn activation(const std::string& name, const char* key);
// The field, when present and not null, must hold `expected`: settings that would change the
// forward pass in ways circuitscope does not compute.
void require_value(const nlohmann::json& cfg, const char* key, const nlohmann::json& expected);

}  // namespace cs::hf
