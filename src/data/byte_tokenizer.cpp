#include "core/error.h"
#include "core/files.h"
#include "data/tokenizer.h"
#include "io/atomic_file.h"

namespace cs::data {

namespace {

// Bytes need no training and cover every input, which makes them the reference tokenizer for
// tests and for corpora too small to learn a vocabulary from.
class ByteTokenizer final : public Tokenizer {
 public:
  std::string kind() const override { return "bytes"; }
  int d_vocab() const override { return 257; }
  int bos_id() const override { return 256; }

  std::vector<int32_t> encode(std::string_view text) const override {
    std::vector<int32_t> ids(text.size());
    for (size_t i = 0; i < text.size(); ++i) ids[i] = static_cast<unsigned char>(text[i]);
    return ids;
  }

  std::string decode(const std::vector<int32_t>& ids) const override {
    std::string out;
    out.reserve(ids.size());
    for (int32_t id : ids) {
      CS_CHECK(id >= 0 && id <= 256, "token id " << id << " is outside the byte vocabulary [0, 257)");
      if (id != 256) out += char(id);
    }
    return out;
  }

  std::string piece(int32_t id) const override {
    CS_CHECK(id >= 0 && id <= 256, "token id " << id << " is outside the byte vocabulary [0, 257)");
    if (id == 256) return "<bos>";
    const char c = char(id);
    return display_bytes(std::string_view(&c, 1));
  }

  void save(const std::string& dir) const override {
    io::write_file_atomic(dir + "/" + file_name(File::tokenizer_json), "{\"type\": \"bytes\", \"d_vocab\": 257, \"bos_id\": 256}\n");
  }
};

}  // namespace

std::unique_ptr<Tokenizer> make_byte_tokenizer() { return std::make_unique<ByteTokenizer>(); }

}  // namespace cs::data
