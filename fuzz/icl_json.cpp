// A run's ICL files as the analyses read them back: icl_settings.json (the run's ICL settings,
// analysis::icl_options) and icl.json (a saved ICL curve, pipeline::load_icl). Their callers turn
// any exception into a one-line error or a note; what may not happen is undefined behaviour.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <nlohmann/json.hpp>

#include "analysis/icl.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(data, data + size);
  } catch (const nlohmann::json::exception&) {
    return 0;
  }
  try {
    cs::analysis::icl_settings_from_json(j);
  } catch (const std::exception&) {
  }
  try {
    cs::analysis::IclResult::from_json(j);
  } catch (const std::exception&) {
  }
  return 0;
}
