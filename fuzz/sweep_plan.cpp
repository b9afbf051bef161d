// A sweep folder's sweep.json as `sweep run`, `commands` and `report` read it: JSON parsing, every
// field's type, the runs' names and train flags, the sessions.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "sweep/sweep_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    cs::sweep::parse_sweep(std::string(reinterpret_cast<const char*>(data), size), "sweep.json");
  } catch (const cs::Error&) {
  }
  return 0;
}
