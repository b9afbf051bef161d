#include "viewer/assets.h"

#include <map>

namespace cs::viewer {

namespace {

std::string_view content_type(std::string_view name) {
  auto ends = [&](std::string_view ext) {
    return name.size() >= ext.size() && name.substr(name.size() - ext.size()) == ext;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  return "application/octet-stream";
}

const std::map<std::string_view, Asset>& table() {
  static const std::map<std::string_view, Asset> t = [] {
    std::map<std::string_view, Asset> m;
    for (size_t i = 0; i < web::kFileCount; ++i) {
      const web::EmbeddedFile& f = web::kFiles[i];
      m[f.name] = {f.name, content_type(f.name),
                   std::string_view(reinterpret_cast<const char*>(f.data), f.size)};
    }
    return m;
  }();
  return t;
}

}  // namespace

const Asset* find_asset(std::string_view name) {
  auto it = table().find(name);
  return it == table().end() ? nullptr : &it->second;
}

std::vector<std::string> asset_names() {
  std::vector<std::string> names;
  for (const auto& [name, asset] : table()) names.emplace_back(name);
  return names;
}

}  // namespace cs::viewer
