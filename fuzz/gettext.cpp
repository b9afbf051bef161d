// read_gettext_corpus on a locale folder whose one catalogue holds the input.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "data/gettext_corpus.h"
#include "scratch_dir.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string root = cs::fuzz::scratch_dir() + "/locale";
  cs::fuzz::write_bytes(root + "/xx/LC_MESSAGES/input.mo", data, size);
  try {
    cs::data::read_gettext_corpus("xx", root);
  } catch (const cs::Error&) {
  }
  return 0;
}
