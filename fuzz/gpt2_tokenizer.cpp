// GPT-2's release files as load_gpt2_tokenizer reads them: the input is vocab.json and merges.txt
// joined as parts.h says. A tokenizer it accepts must keep the Tokenizer contract on the samples of
// bpe_samples.h.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "bpe_samples.h"
#include "core/error.h"
#include "core/files.h"
#include "data/tokenizer.h"
#include "parts.h"
#include "scratch_dir.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string dir = cs::fuzz::scratch_dir();
  static const std::string vocab = dir + "/" + cs::file_name(cs::File::gpt2_vocab);
  static const std::string merges = dir + "/" + cs::file_name(cs::File::gpt2_merges);
  const auto parts = cs::fuzz::split_parts(std::string_view(reinterpret_cast<const char*>(data), size), 2);
  const std::string_view merges_text = parts.size() > 1 ? parts[1] : std::string_view();
  cs::fuzz::write_bytes(vocab, reinterpret_cast<const uint8_t*>(parts[0].data()), parts[0].size());
  cs::fuzz::write_bytes(merges, reinterpret_cast<const uint8_t*>(merges_text.data()), merges_text.size());
  try {
    cs::fuzz::check_bpe_samples(*cs::data::load_gpt2_tokenizer(vocab, merges));
  } catch (const cs::Error&) {
  }
  return 0;
}
