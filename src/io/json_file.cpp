#include "io/json_file.h"

#include "core/error.h"
#include "io/atomic_file.h"

namespace cs::io {

nlohmann::json read_json_file(const std::string& path) {
  const std::string text = read_file(path);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    fail(path + ": not valid JSON (" + e.what() + ")");
  }
}

}  // namespace cs::io
