// A Hugging Face model folder's config.json and model.safetensors.index.json as `import` reads them
// (two parts, parts.h): the architecture's config mapping, and the index's weight_map. A config
// accepted must be a valid model; an index accepted must name only files in the model's folder.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "core/error.h"
#include "import/hf_weights.h"
#include "import/layout.h"
#include "parts.h"

namespace {

void read_config(std::string_view text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return;
  const cs::Config c = cs::hf::layout_for(j).config(j);
  c.validate();  // throws on an invalid model: a finding, since config() must have refused it
  if (c.d_head * c.n_heads != c.d_model) std::abort();
}

void read_index(std::string_view text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return;
  for (const auto& [tensor, file] : cs::hf::parse_safetensors_index(j))
    if (file.empty() || file.find('/') != std::string::npos || file == "..") std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto parts = cs::fuzz::split_parts({reinterpret_cast<const char*>(data), size}, 2);
  try {
    read_config(parts[0]);
  } catch (const cs::Error&) {
  }
  try {
    if (parts.size() > 1) read_index(parts[1]);
  } catch (const cs::Error&) {
  }
  return 0;
}
