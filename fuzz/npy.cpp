// read_npy on arbitrary bytes, then every conversion of what it accepted.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "io/npy.h"
#include "scratch_dir.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = cs::fuzz::scratch_dir() + "/input.npy";
  cs::fuzz::write_bytes(path, data, size);
  try {
    const cs::io::NpyArray a = cs::io::read_npy(path);
    try { a.to_float(); } catch (const cs::Error&) {}
    try { a.to_double(); } catch (const cs::Error&) {}
    try { a.to_int64(); } catch (const cs::Error&) {}
  } catch (const cs::Error&) {
  }
  return 0;
}
