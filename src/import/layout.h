#pragma once
// One Hugging Face architecture: how its config.json maps to a Config and its tensors to
// TransformerLens's parameters (the mappings are in docs/import.md).
#include <nlohmann/json.hpp>
#include <string>

#include "import/hf_weights.h"
#include "model/params.h"

namespace cs::hf {

struct Layout {
  const char* architecture;  // config.json's "architectures" entry
  // Throws cs::Error naming a missing, mistyped or unsupported field.
  Config (*config)(const nlohmann::json& hf_config);
  // Takes every tensor the model needs; a missing one or a wrong shape is a cs::Error.
  Params<float> (*weights)(HfWeights& w, const Config& c);
  // Buffers that exports carry but are no parameters (causal masks, rotary frequencies, a tied head).
  bool (*ignorable)(const std::string& tensor);
};

const Layout& gpt2_layout();
const Layout& neox_layout();

// The layout of config.json's architectures[0]; an unknown one is a cs::Error listing the known.
const Layout& layout_for(const nlohmann::json& hf_config);

}  // namespace cs::hf
