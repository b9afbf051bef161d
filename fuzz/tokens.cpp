// TokenStore::open on a token folder made from the input (token_folder.h), then reads through
// what it accepted.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "data/tokens.h"
#include "scratch_dir.h"
#include "token_folder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string dir = cs::fuzz::scratch_dir() + "/tokens";
  const auto parts = cs::fuzz::split_parts(std::string_view(reinterpret_cast<const char*>(data), size),
                                           std::size(cs::fuzz::kTokenFiles));
  for (size_t i = 0; i < std::size(cs::fuzz::kTokenFiles); ++i) {
    const std::string path = dir + "/" + cs::file_name(cs::fuzz::kTokenFiles[i]);
    if (i < parts.size())
      cs::fuzz::write_bytes(path, reinterpret_cast<const uint8_t*>(parts[i].data()), parts[i].size());
    else
      std::filesystem::remove(path);
  }
  try {
    const auto store = cs::data::TokenStore::open(dir);
    std::vector<int32_t> ids;
    for (const auto& d : store.documents()) {
      ids.resize(size_t(d.size()));
      store.read(d.begin, d.size(), ids.data());
    }
    store.eval_documents();
  } catch (const cs::Error&) {
  }
  return 0;
}
