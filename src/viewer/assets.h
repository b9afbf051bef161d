#pragma once
// The viewer's page (src/viewer/web/), compiled into the library at build time
// (cmake/embed_files.cmake), so the binary serves it with no files beside it and reads nothing
// from disk to do so.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace cs::viewer {

namespace web {
// Filled by the generated source.
struct EmbeddedFile {
  const char* name;
  const unsigned char* data;
  size_t size;
};
extern const EmbeddedFile kFiles[];
extern const size_t kFileCount;
}  // namespace web

struct Asset {
  std::string_view name, content_type, bytes;
};

// The embedded file called `name` ("index.html"), or nullptr.
const Asset* find_asset(std::string_view name);
std::vector<std::string> asset_names();

}  // namespace cs::viewer
