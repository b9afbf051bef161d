#pragma once
// A whole file parsed as JSON, for readers whose errors must name the file.
#include <nlohmann/json.hpp>
#include <string>

namespace cs::io {

// A missing or unreadable file, or text that is not JSON, is a cs::Error naming PATH.
nlohmann::json read_json_file(const std::string& path);

}  // namespace cs::io
