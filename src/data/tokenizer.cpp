#include "data/tokenizer.h"

#include <cstdio>
#include <filesystem>

#include "core/error.h"
#include "core/files.h"
#include "data/bpe_spec.h"
#include "data/utf8.h"
#include "io/json_file.h"

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

namespace {

// tokenizer.json is either circuitscope's note that the tokens are bytes, {"type": "bytes"}, or a
// Hugging Face tokenizer, which has a "model".
std::unique_ptr<Tokenizer> tokenizer_from_json(const std::string& path) {
  const nlohmann::json j = io::read_json_file(path);
  if (j.is_object() && j.contains("model")) return make_byte_level_bpe(read_hf_bpe(j, path), path);
  CS_CHECK(j.is_object() && j.contains("type") && j["type"].is_string(),
           path << ": expected {\"type\": \"bytes\"} or a Hugging Face tokenizer (with a \"model\")");
  const std::string type = j["type"].get<std::string>();
  CS_CHECK(type == "bytes", path << ": unknown tokenizer type '" << type
                                 << "' (known: bytes; sentencepiece models are tokenizer.model)");
  return make_byte_tokenizer();
}

}  // namespace

std::unique_ptr<Tokenizer> load_tokenizer(const std::string& dir) {
  for (const std::string& d : {dir, dir + "/" + file_name(File::tokens_dir)}) {
    std::error_code ec;
    auto in_d = [&](File f) { return d + "/" + file_name(f); };
    auto has = [&](File f) { return fs::exists(in_d(f), ec); };
    if (has(File::tokenizer_model)) return load_sentencepiece_tokenizer(in_d(File::tokenizer_model));
    if (has(File::tokenizer_json)) return tokenizer_from_json(in_d(File::tokenizer_json));
    if (has(File::gpt2_vocab) && has(File::gpt2_merges))
      return load_gpt2_tokenizer(in_d(File::gpt2_vocab), in_d(File::gpt2_merges));
  }
  cs::fail("no tokenizer in " + dir + ": expected " + file_name(File::tokenizer_model) + ", " +
           file_name(File::tokenizer_json) + " or " + file_name(File::gpt2_vocab) + " with " +
           file_name(File::gpt2_merges) + " there or in " + dir + "/" + file_name(File::tokens_dir));
}

}  // namespace cs::data
