// Byte-level BPE of published models, GPT-2's and Pythia's (docs/tokenizers.md): added tokens are
// found first, the rest is normalized (when the tokenizer asks for NFC) and cut by GPT-2's
// pre-tokenizer, and each piece's bytes are merged.
#include <algorithm>
#include <array>
#include <cstdio>
#include <unordered_map>

#include "core/error.h"
#include "core/files.h"
#include "data/added_tokens.h"
#include "data/bpe_merger.h"
#include "data/bpe_spec.h"
#include "data/byte_level.h"
#include "data/gpt2_pretokenizer.h"
#include "data/nfc.h"
#include "data/piece_cache.h"
#include "io/atomic_file.h"
#include "io/json_file.h"

namespace cs::data {

namespace {

// GPT-2 and Pythia both begin and end documents with it.
constexpr std::string_view kBos = "<|endoftext|>";

std::string in_quotes(std::string_view token) {
  std::string out(1, '\'');
  out += display_bytes(token);
  out += '\'';
  return out;
}

// Everything built from a spec: what each id decodes to and what encoding looks up.
struct Tables {
  std::vector<std::string> text;                 // id -> its bytes
  std::unordered_map<std::string, int32_t> ids;  // vocabulary spelling -> id
  std::array<int32_t, 256> byte_ids{};
  std::vector<BpeMerger::Merge> merges;
  int32_t bos = -1;
};

// Vocabulary ids run from 0 without gaps or repeats, so every id below d_vocab is a token.
void vocabulary_tables(const BpeSpec& spec, const std::string& where, Tables& t) {
  const size_t n = spec.vocab.size();
  t.text.assign(n, {});
  std::vector<const std::string*> spelling(n, nullptr);
  t.ids.reserve(n);
  for (const auto& [token, id] : spec.vocab) {
    CS_CHECK(id >= 0 && size_t(id) < n, where << ": token " << in_quotes(token) << " has id " << id
                                              << ", but the ids of " << n
                                              << " tokens must run from 0 to " << n - 1);
    CS_CHECK(!spelling[size_t(id)], where << ": id " << id << " is given to both "
                                          << in_quotes(*spelling[size_t(id)]) << " and " << in_quotes(token));
    spelling[size_t(id)] = &token;
    t.ids.emplace(token, id);
    // As Hugging Face's ByteLevel decoder does: a token spelled with a character outside the
    // byte alphabet stands for its own UTF-8.
    t.text[size_t(id)] = from_byte_chars(token).value_or(token);
  }
}

// An added token repeats a vocabulary id with the same bytes, or takes the next id after it.
void added_tables(const BpeSpec& spec, const std::string& where, Tables& t) {
  std::vector<const AddedToken*> beyond;
  for (const AddedToken& a : spec.added) {
    if (a.id < 0 || size_t(a.id) >= spec.vocab.size()) {
      beyond.push_back(&a);
      continue;
    }
    CS_CHECK(t.text[size_t(a.id)] == a.content,
             where << ": added token " << in_quotes(a.content) << " has id " << a.id
                   << ", which the vocabulary gives to " << in_quotes(t.text[size_t(a.id)]));
  }
  std::sort(beyond.begin(), beyond.end(), [](auto* a, auto* b) { return a->id < b->id; });
  for (const AddedToken* a : beyond) {
    CS_CHECK(size_t(a->id) == t.text.size(),
             where << ": added token " << in_quotes(a->content) << " has id " << a->id
                   << ", but the next free id is " << t.text.size()
                   << " (ids run from 0 without gaps or repeats)");
    t.text.push_back(a->content);
  }
}

// Every byte that UTF-8 uses needs a token. Pythia's vocabulary has none for the 13 it never uses
// (0xC0, 0xC1, 0xF5 to 0xFF): those stay -1, and text holding them is refused when encoded.
void byte_tables(const std::string& where, Tables& t) {
  for (int b = 0; b < 256; ++b) {
    const std::string spelling = to_byte_chars(std::string(1, char(b)));
    const auto it = t.ids.find(spelling);
    const bool in_utf8 = b != 0xC0 && b != 0xC1 && b < 0xF5;
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02X", unsigned(b));
    CS_CHECK(it != t.ids.end() || !in_utf8, where << ": the vocabulary has no token for byte " << hex
                                                  << " (" << in_quotes(spelling)
                                                  << "), so not every text can be encoded");
    t.byte_ids[size_t(b)] = it == t.ids.end() ? -1 : it->second;
  }
}

void merge_tables(const BpeSpec& spec, const std::string& where, Tables& t) {
  t.merges.reserve(spec.merges.size());
  for (size_t r = 0; r < spec.merges.size(); ++r) {
    const std::pair<std::string, std::string>& m = spec.merges[r];
    auto id_of = [&](const std::string& token) {
      const auto it = t.ids.find(token);
      CS_CHECK(it != t.ids.end(), where << ": merge " << r + 1 << " (" << in_quotes(m.first) << " "
                                        << in_quotes(m.second) << "): " << in_quotes(token)
                                        << " is not in the vocabulary");
      return it->second;
    };
    t.merges.push_back({id_of(m.first), id_of(m.second), id_of(m.first + m.second)});
  }
}

void find_bos(const BpeSpec& spec, const std::string& where, Tables& t) {
  for (const AddedToken& a : spec.added)
    if (a.content == kBos) t.bos = a.id;
  if (const auto it = t.ids.find(std::string(kBos)); t.bos < 0 && it != t.ids.end()) t.bos = it->second;
  CS_CHECK(t.bos >= 0, where << ": no " << kBos << " token, which circuitscope needs as BOS");
}

// The added tokens with the given normalized flag, for one of the two finders. Normalized ones
// are looked for in normalized text, so their contents are normalized too.
AddedTokenFinder added_finder(const BpeSpec& spec, bool normalized) {
  std::vector<std::pair<std::string, int32_t>> tokens;
  for (const AddedToken& a : spec.added)
    if (a.normalized == normalized)
      tokens.emplace_back(normalized && spec.nfc ? nfc(a.content) : a.content, a.id);
  return AddedTokenFinder(std::move(tokens));
}

class ByteLevelBpeTokenizer final : public Tokenizer {
 public:
  ByteLevelBpeTokenizer(BpeSpec spec, Tables t)
      : spec_(std::move(spec)), text_(std::move(t.text)), bos_(t.bos),
        raw_added_(added_finder(spec_, false)), normalized_added_(added_finder(spec_, true)),
        merger_(t.byte_ids, t.merges) {}

  std::string kind() const override { return "byte-level-bpe"; }
  int d_vocab() const override { return int(text_.size()); }
  int bos_id() const override { return bos_; }

  std::vector<int32_t> encode(std::string_view text) const override {
    std::vector<int32_t> out;
    std::vector<AddedTokenFinder::Segment> segments;
    raw_added_.split(text, segments);
    for (const AddedTokenFinder::Segment& s : segments) {
      if (s.id >= 0) out.push_back(s.id);
      else encode_between_raw_tokens(s.text, out);
    }
    return out;
  }

  std::string decode(const std::vector<int32_t>& ids) const override {
    std::string out;
    for (int32_t id : ids)
      if (check(id) != size_t(bos_)) out += text_[size_t(id)];
    return out;
  }

  std::string piece(int32_t id) const override {
    if (id == bos_) return "<bos>";
    return display_bytes(text_[check(id)]);
  }

  void save(const std::string& dir) const override {
    io::write_file_atomic(dir + "/" + file_name(File::tokenizer_json), hf_bpe_json(spec_).dump() + "\n");
  }

 private:
  // As Hugging Face does: only the text between added tokens with normalized false is
  // normalized, and the other added tokens are looked for in it.
  void encode_between_raw_tokens(std::string_view text, std::vector<int32_t>& out) const {
    const std::string normalized = spec_.nfc ? nfc(text) : std::string();
    std::vector<AddedTokenFinder::Segment> segments;
    normalized_added_.split(spec_.nfc ? std::string_view(normalized) : text, segments);
    std::vector<std::string_view> pieces;
    for (const AddedTokenFinder::Segment& s : segments) {
      if (s.id >= 0) {
        out.push_back(s.id);
        continue;
      }
      pieces.clear();
      pre_tokenizer_.split(s.text, pieces);
      for (std::string_view p : pieces) encode_piece(p, out);
    }
  }

  void encode_piece(std::string_view piece, std::vector<int32_t>& out) const {
    if (cache_.find(piece, out)) return;
    const size_t from = out.size();
    merger_.encode(piece, out);
    cache_.insert(piece, std::vector<int32_t>(out.begin() + std::ptrdiff_t(from), out.end()));
  }

  size_t check(int32_t id) const {
    CS_CHECK(id >= 0 && id < d_vocab(),
             "token id " << id << " is outside the vocabulary [0, " << d_vocab() << ")");
    return size_t(id);
  }

  BpeSpec spec_;
  std::vector<std::string> text_;
  int32_t bos_;
  AddedTokenFinder raw_added_, normalized_added_;
  Gpt2PreTokenizer pre_tokenizer_;
  BpeMerger merger_;
  PieceCache cache_;
};

}  // namespace

std::unique_ptr<Tokenizer> make_byte_level_bpe(BpeSpec spec, const std::string& where) {
  Tables t;
  vocabulary_tables(spec, where, t);
  added_tables(spec, where, t);
  byte_tables(where, t);
  merge_tables(spec, where, t);
  find_bos(spec, where, t);
  return std::make_unique<ByteLevelBpeTokenizer>(std::move(spec), std::move(t));
}

std::unique_ptr<Tokenizer> load_hf_tokenizer(const std::string& tokenizer_json_path) {
  return make_byte_level_bpe(read_hf_bpe(io::read_json_file(tokenizer_json_path), tokenizer_json_path),
                             tokenizer_json_path);
}

std::unique_ptr<Tokenizer> load_gpt2_tokenizer(const std::string& vocab_json_path,
                                               const std::string& merges_txt_path) {
  return make_byte_level_bpe(read_gpt2_bpe(vocab_json_path, merges_txt_path),
                             vocab_json_path + " with " + merges_txt_path);
}

}  // namespace cs::data
