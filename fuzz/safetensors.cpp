// SafeTensors::open on arbitrary bytes, every tensor through every converting getter, and the
// snapshot reader (metadata, names, shapes, finite values) for the tiny model of fuzz_model.h.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "fuzz_model.h"
#include "io/safetensors.h"
#include "run/snapshot.h"
#include "scratch_dir.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = cs::fuzz::scratch_dir() + "/input.safetensors";
  cs::fuzz::write_bytes(path, data, size);
  try {
    const auto st = cs::io::SafeTensors::open(path);
    for (const std::string& name : st.names()) {
      const auto& e = st.get(name);
      try { st.get_f32(name); } catch (const cs::Error&) {}
      try { st.get_f64(name, e.shape); } catch (const cs::Error&) {}
      try { st.get_i32(name); } catch (const cs::Error&) {}
      try { st.get_i64(name, e.shape); } catch (const cs::Error&) {}
    }
    cs::run::SnapshotInfo info;
    cs::run::read_snapshot(path, cs::fuzz::tiny_model(), &info);
  } catch (const cs::Error&) {
  }
  return 0;
}
