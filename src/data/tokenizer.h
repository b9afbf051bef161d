#pragma once
// Text <-> token ids. Three kinds: BPE trained with the sentencepiece library (saved as
// tokenizer.model), raw bytes (256 byte values + BOS, saved as a tokenizer.json note), and the
// byte-level BPE of published models such as GPT-2 and Pythia (saved as a Hugging Face
// tokenizer.json; docs/tokenizers.md). All are lossless: decode(encode(text)) == text for any
// UTF-8 text (for byte-level BPE: text that does not spell its BOS token, <|endoftext|>, and is in
// NFC when the tokenizer normalizes to NFC).
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cs::data {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  virtual std::string kind() const = 0;  // "sentencepiece", "bytes" or "byte-level-bpe"
  virtual int d_vocab() const = 0;
  virtual int bos_id() const = 0;
  // Without BOS: callers put BOS where a sequence starts.
  virtual std::vector<int32_t> encode(std::string_view text) const = 0;
  // BOS ids are dropped; byte tokens that do not form valid UTF-8 are kept as raw bytes.
  virtual std::string decode(const std::vector<int32_t>& ids) const = 0;
  // A display form for reports: the token's text with spaces shown as spaces, "\n" and "\t"
  // escaped, other control or stray bytes as <0xNN>, BOS as <bos>.
  virtual std::string piece(int32_t id) const = 0;
  // Writes tokenizer.model (sentencepiece) or tokenizer.json (the others) into DIR, atomically.
  virtual void save(const std::string& dir) const = 0;
};

struct BpeOptions {
  int d_vocab = 4096;
  uint64_t seed = 0;
  // Sentences (lines) sampled for training; bounds training time whatever the corpus size.
  int64_t max_sentences = 300000;
  int threads = 0;  // 0: all cores
};

// Trains BPE on the documents' lines. d_vocab counts every id: <unk>, <bos>, the 256 byte
// fallbacks and the learned pieces, so it must be at least 300.
std::unique_ptr<Tokenizer> train_bpe_tokenizer(const std::vector<std::string>& docs,
                                               const BpeOptions& options);

std::unique_ptr<Tokenizer> make_byte_tokenizer();

// From a run folder or a tokens folder: DIR/tokenizer.model, DIR/tokenizer.json (the bytes note
// or a Hugging Face tokenizer, told apart by content), GPT-2's DIR/vocab.json with
// DIR/merges.txt, or the same inside DIR/tokens/. Anything else (missing, unreadable, unknown
// "type") is a cs::Error.
std::unique_ptr<Tokenizer> load_tokenizer(const std::string& run_or_tokens_dir);
std::unique_ptr<Tokenizer> load_sentencepiece_tokenizer(const std::string& model_path);

// Byte-level BPE (docs/tokenizers.md) from a Hugging Face tokenizer.json, or from GPT-2's release
// files. A component these cannot reproduce exactly (another model type, a normalizer) is a
// cs::Error naming it.
std::unique_ptr<Tokenizer> load_hf_tokenizer(const std::string& tokenizer_json_path);
std::unique_ptr<Tokenizer> load_gpt2_tokenizer(const std::string& vocab_json_path,
                                               const std::string& merges_txt_path);

// Shared display rule for one token's raw bytes (used by both kinds).
std::string display_bytes(std::string_view raw);

}  // namespace cs::data
