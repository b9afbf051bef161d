#include "import/layout.h"

#include "core/error.h"

namespace cs::hf {

const Layout& layout_for(const nlohmann::json& hf_config) {
  CS_CHECK(hf_config.is_object(), "config.json is not a JSON object");
  const auto it = hf_config.find("architectures");
  CS_CHECK(it != hf_config.end() && it->is_array() && it->size() == 1 && it->at(0).is_string(),
           "config.json has no \"architectures\": [NAME] naming the model class");
  const std::string name = it->at(0).get<std::string>();
  for (const Layout* l : {&gpt2_layout(), &neox_layout()})
    if (name == l->architecture) return *l;
  fail("config.json: architecture '" + name + "' cannot be imported (known: " + gpt2_layout().architecture + ", " +
       neox_layout().architecture + ")");
}

}  // namespace cs::hf
