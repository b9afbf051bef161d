// A Hugging Face tokenizer.json as load_hf_tokenizer reads it; a tokenizer it accepts must keep the
// Tokenizer contract on the samples of bpe_samples.h.
#include <cstddef>
#include <cstdint>
#include <string>

#include "bpe_samples.h"
#include "core/error.h"
#include "core/files.h"
#include "data/tokenizer.h"
#include "scratch_dir.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = cs::fuzz::scratch_dir() + "/" + cs::file_name(cs::File::tokenizer_json);
  cs::fuzz::write_bytes(path, data, size);
  try {
    cs::fuzz::check_bpe_samples(*cs::data::load_hf_tokenizer(path));
  } catch (const cs::Error&) {
  }
  return 0;
}
