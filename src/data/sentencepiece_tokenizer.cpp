#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <unordered_map>

#include "core/error.h"
#include "core/files.h"
#include "core/rng.h"
#include "data/tokenizer.h"
#include "io/atomic_file.h"

namespace cs::data {

namespace {

constexpr std::string_view kSpace = "\xE2\x96\x81";  // sentencepiece's visible space, U+2581

class SentencePieceTokenizer final : public Tokenizer {
 public:
  SentencePieceTokenizer(std::string serialized, const std::string& where)
      : serialized_(std::move(serialized)) {
    const auto status = sp_.LoadFromSerializedProto(serialized_);
    CS_CHECK(status.ok(), where << ": not a sentencepiece model (" << status.ToString() << ")");
    CS_CHECK(sp_.bos_id() >= 0, where << ": sentencepiece model has no BOS piece");
    // Decoding is done here, byte-exact, from the piece table; cache it once.
    const int n = sp_.GetPieceSize();
    text_.resize(size_t(n));
    for (int id = 0; id < n; ++id) {
      const std::string& p = sp_.IdToPiece(id);
      if (sp_.IsByte(id)) {
        // "<0xAB>"
        text_[size_t(id)] = std::string(1, char(std::stoi(p.substr(3, 2), nullptr, 16)));
      } else if (sp_.IsControl(id)) {
        text_[size_t(id)] = "";
      } else if (sp_.IsUnknown(id)) {
        // Unreachable with byte fallback; kept visible rather than silently dropped.
        text_[size_t(id)] = "<unk>";
      } else {
        std::string t;
        for (size_t i = 0; i < p.size();) {
          if (p.compare(i, kSpace.size(), kSpace) == 0) {
            t += ' ';
            i += kSpace.size();
          } else {
            t += p[i++];
          }
        }
        text_[size_t(id)] = std::move(t);
      }
    }
    for (char c : kSpace) {
      char name[8];
      std::snprintf(name, sizeof name, "<0x%02X>", unsigned(static_cast<unsigned char>(c)));
      const int id = sp_.PieceToId(name);
      if (!sp_.IsByte(id)) {
        space_bytes_.clear();
        break;
      }
      space_bytes_.push_back(id);
    }
  }

  std::string kind() const override { return "sentencepiece"; }
  int d_vocab() const override { return int(text_.size()); }
  int bos_id() const override { return sp_.bos_id(); }

  // sentencepiece stands for a space with U+2581, so that character in the text would decode as
  // a space: it goes in as its three byte tokens instead, keeping encoding lossless.
  std::vector<int32_t> encode(std::string_view text) const override {
    std::vector<int32_t> out;
    while (true) {
      const size_t at = text.find(kSpace);
      std::vector<int> ids;
      const auto status = sp_.Encode(text.substr(0, at), &ids);
      CS_CHECK(status.ok(), "sentencepiece could not encode text: " << status.ToString());
      out.insert(out.end(), ids.begin(), ids.end());
      if (at == std::string_view::npos) return out;
      CS_CHECK(!space_bytes_.empty(),
               "the text holds U+2581, which this sentencepiece model (without byte tokens) cannot encode");
      out.insert(out.end(), space_bytes_.begin(), space_bytes_.end());
      text.remove_prefix(at + kSpace.size());
    }
  }

  std::string decode(const std::vector<int32_t>& ids) const override {
    std::string out;
    for (int32_t id : ids) out += text_[check(id)];
    return out;
  }

  std::string piece(int32_t id) const override {
    if (id == bos_id()) return "<bos>";
    return display_bytes(text_[check(id)]);
  }

  void save(const std::string& dir) const override {
    io::write_file_atomic(dir + "/" + file_name(File::tokenizer_model), serialized_);
  }

 private:
  size_t check(int32_t id) const {
    CS_CHECK(id >= 0 && id < d_vocab(),
             "token id " << id << " is outside the vocabulary [0, " << d_vocab() << ")");
    return size_t(id);
  }

  std::string serialized_;
  sentencepiece::SentencePieceProcessor sp_;
  std::vector<std::string> text_;
  std::vector<int32_t> space_bytes_;  // the byte tokens of U+2581; empty when the model has none
};

// Feeds sentencepiece the sampled lines without copying the corpus.
class LineIterator final : public sentencepiece::SentenceIterator {
 public:
  explicit LineIterator(const std::vector<std::string_view>& lines) : lines_(lines) { load(); }
  bool done() const override { return i_ >= lines_.size(); }
  void Next() override {
    ++i_;
    load();
  }
  const std::string& value() const override { return cur_; }
  sentencepiece::util::Status status() const override { return sentencepiece::util::Status(); }

 private:
  void load() {
    if (!done()) cur_.assign(lines_[i_]);
  }
  const std::vector<std::string_view>& lines_;
  size_t i_ = 0;
  std::string cur_;
};

// Non-blank lines of every document, then a seeded sample of at most MAX of them, kept in corpus
// order. Sampling here (rather than by sentencepiece) ties the result to our seed alone.
std::vector<std::string_view> sample_lines(const std::vector<std::string>& docs, int64_t max,
                                           uint64_t seed) {
  std::vector<std::string_view> lines;
  for (const auto& d : docs) {
    size_t pos = 0;
    while (pos < d.size()) {
      size_t nl = d.find('\n', pos);
      if (nl == std::string::npos) nl = d.size();
      std::string_view line(d.data() + pos, nl - pos);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.find_first_not_of(" \t\f\v") != std::string_view::npos) lines.push_back(line);
      pos = nl + 1;
    }
  }
  if (max > 0 && int64_t(lines.size()) > max) {
    cs::Rng rng(seed ^ 0x5eed5eed5eedull);
    // Partial Fisher-Yates: the first MAX slots become a uniform sample.
    for (int64_t i = 0; i < max; ++i) {
      const int64_t j = i + int64_t(rng.below(uint64_t(lines.size()) - uint64_t(i)));
      std::swap(lines[size_t(i)], lines[size_t(j)]);
    }
    lines.resize(size_t(max));
    std::sort(lines.begin(), lines.end(),
              [](std::string_view a, std::string_view b) { return a.data() < b.data(); });
  }
  return lines;
}

}  // namespace

std::unique_ptr<Tokenizer> load_sentencepiece_tokenizer(const std::string& model_path) {
  return std::make_unique<SentencePieceTokenizer>(io::read_file(model_path), model_path);
}

std::unique_ptr<Tokenizer> train_bpe_tokenizer(const std::vector<std::string>& docs,
                                               const BpeOptions& o) {
  CS_CHECK(o.d_vocab >= 300 && o.d_vocab <= (1 << 20),
           "--d-vocab must be between 300 and 1048576 (it counts <unk>, <bos> and the 256 byte "
           "tokens), got " << o.d_vocab);
  const std::vector<std::string_view> lines = sample_lines(docs, o.max_sentences, o.seed);
  CS_CHECK(!lines.empty(), "cannot train a tokenizer: the corpus has no non-blank line");
  const int threads = o.threads > 0 ? o.threads : int(std::max(1u, std::thread::hardware_concurrency()));
  const std::unordered_map<std::string, std::string> args = {
      {"model_type", "bpe"},
      {"vocab_size", std::to_string(o.d_vocab)},
      // Any UTF-8 must encode: characters outside the vocabulary become byte tokens.
      {"byte_fallback", "true"},
      {"character_coverage", "0.9995"},
      // Lossless: no NFKC, no whitespace collapsing, no invented leading space, so code keeps its
      // indentation and decode(encode(x)) == x.
      {"normalization_rule_name", "identity"},
      {"remove_extra_whitespaces", "false"},
      {"add_dummy_prefix", "false"},
      {"allow_whitespace_only_pieces", "true"},
      {"split_digits", "false"},
      {"unk_id", "0"},
      {"bos_id", "1"},
      {"eos_id", "-1"},
      {"pad_id", "-1"},
      {"input_sentence_size", "0"},
      {"shuffle_input_sentence", "false"},
      {"max_sentence_length", "16384"},
      {"num_threads", std::to_string(threads)},
      {"minloglevel", "2"},
  };
  sentencepiece::SetRandomGeneratorSeed(static_cast<unsigned>(o.seed));
  LineIterator it(lines);
  std::string model;
  const auto status = sentencepiece::SentencePieceTrainer::Train(args, &it, &model);
  if (!status.ok()) {
    // The common failure on small corpora: too few distinct merges for the vocabulary asked for.
    const std::string msg = status.ToString();
    const size_t at = msg.find("value <= ");
    CS_CHECK(at == std::string::npos,
             "--d-vocab " << o.d_vocab << " is too large for this corpus: BPE can make at most "
                          << std::atoi(msg.c_str() + at + 9) << " tokens from it; use a smaller "
                          << "--d-vocab or --bytes");
    cs::fail("tokenizer training failed (d_vocab " + std::to_string(o.d_vocab) + ", " +
             std::to_string(lines.size()) + " lines): " + msg);
  }
  return std::make_unique<SentencePieceTokenizer>(std::move(model), "trained tokenizer");
}

}  // namespace cs::data
