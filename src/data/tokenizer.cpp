#include "data/tokenizer.h"

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/files.h"
#include "data/utf8.h"
#include "io/atomic_file.h"

namespace cs::data {

namespace fs = std::filesystem;

std::string display_bytes(std::string_view raw) {
  std::string out;
  size_t i = 0;
  auto hex = [&](unsigned char c) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "<0x%02X>", c);
    out += buf;
  };
  while (i < raw.size()) {
    const unsigned char c = static_cast<unsigned char>(raw[i]);
    if (c == '\n') { out += "\\n"; ++i; continue; }
    if (c == '\t') { out += "\\t"; ++i; continue; }
    if (c < 0x20 || c == 0x7f) { hex(c); ++i; continue; }
    if (c < 0x80) { out += char(c); ++i; continue; }
    // Keep whole UTF-8 characters; a lone byte of a multi-byte character is shown as hex.
    size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    if (len > 1 && i + len <= raw.size() && find_invalid_utf8(raw.substr(i, len)) == std::string::npos) {
      out.append(raw.substr(i, len));
      i += len;
    } else {
      hex(c);
      ++i;
    }
  }
  return out;
}

std::unique_ptr<Tokenizer> load_tokenizer(const std::string& dir) {
  for (const std::string& d : {dir, dir + "/" + file_name(File::tokens_dir)}) {
    std::error_code ec;
    const std::string model = d + "/" + file_name(File::tokenizer_model);
    if (fs::exists(model, ec)) return load_sentencepiece_tokenizer(model);
    const std::string note = d + "/" + file_name(File::tokenizer_note);
    if (fs::exists(note, ec)) {
      nlohmann::json j;
      try {
        j = nlohmann::json::parse(io::read_file(note));
      } catch (const nlohmann::json::exception& e) {
        cs::fail(note + ": not valid JSON (" + e.what() + ")");
      }
      CS_CHECK(j.is_object() && j.contains("type") && j["type"].is_string(),
               note << ": expected {\"type\": \"bytes\"}");
      const std::string type = j["type"].get<std::string>();
      CS_CHECK(type == "bytes", note << ": unknown tokenizer type '" << type
                                     << "' (known: bytes; sentencepiece models are tokenizer.model)");
      return make_byte_tokenizer();
    }
  }
  cs::fail("no tokenizer in " + dir + ": expected " + file_name(File::tokenizer_model) + " or " +
           file_name(File::tokenizer_note) + " there or in " + dir + "/" + file_name(File::tokens_dir));
}

}  // namespace cs::data
