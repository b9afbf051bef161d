// A run folder's config.json as RunDir reads it: JSON parsing, every field's type, the model's
// validation.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "core/files.h"
#include "run/run_dir.h"
#include "scratch_dir.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string dir = cs::fuzz::scratch_dir() + "/run";
  cs::fuzz::write_bytes(dir + "/" + cs::file_name(cs::File::config), data, size);
  try {
    cs::run::RunDir(dir).config();
  } catch (const cs::Error&) {
  }
  return 0;
}
