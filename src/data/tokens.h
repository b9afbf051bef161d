#pragma once
// The token folder (docs/corpus.md, "The token folder"; a run's tokens/): the corpus packed into
// one stream, each document preceded by BOS, training documents first and held-out documents
// after, so the training range is one contiguous [0, n_train_tokens) that windows can be sampled
// from.
//
//   tokens.bin           uint16 (uint32 when d_vocab > 65536), little-endian
//   documents.npy        int64 [n_docs, 2]: begin (at the BOS) and end of corpus document i
//   split.npy            uint8 [n_docs]: 0 training, 1 held out
//   token_counts.npy     int64 [d_vocab]: counts over the training range (BOS included)
//   document_names.json  the corpus's document names, in corpus order
//   tokenizer.model | tokenizer.json
//   tokens.json          metadata, written last: its presence marks a complete folder
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/corpus.h"
#include "data/tokenizer.h"
#include "io/mapped_file.h"

namespace cs::data {

struct TokenizeSummary {
  int64_t n_docs = 0, n_train_docs = 0, n_eval_docs = 0;
  int64_t n_tokens = 0, n_train_tokens = 0;
  int d_vocab = 0;
  double seconds = 0;  // encoding and writing
};

// Encodes every document (in parallel), splits documents into training / held-out with SEED
// (round(eval_fraction * n_docs) held out, at least one when eval_fraction > 0 and there are two
// documents or more), writes the folder above including the tokenizer. CORPUS_LABEL is recorded
// in tokens.json. eval_fraction must lie in [0, 1).
TokenizeSummary tokenize_corpus(const Corpus& corpus, const Tokenizer& tokenizer,
                                const std::string& out_dir, double eval_fraction, uint64_t seed,
                                const std::string& corpus_label = "");
TokenizeSummary tokenize_corpus(const std::vector<std::string>& docs, const Tokenizer& tokenizer,
                                const std::string& out_dir, double eval_fraction, uint64_t seed);

// The seeded document split used above: true for held-out documents.
std::vector<bool> split_documents(int64_t n_docs, double eval_fraction, uint64_t seed);

// DIR itself when it is a token folder, DIR/tokens when that is one (a run folder), else DIR.
std::string token_dir_of(const std::string& dir);
// True when token_dir_of(DIR) holds a token folder.
bool is_token_dir(const std::string& dir);

// A token folder opened read-only; tokens.bin is memory-mapped. Copies share the mapping.
class TokenStore {
 public:
  struct Document {
    int64_t begin, end;  // [begin, end) in the stream; begin holds BOS
    bool eval;
    int64_t size() const { return end - begin; }
  };

  // DIR may be the token folder or a run folder holding tokens/. Every file is checked against
  // tokens.json (sizes, shapes, ids below d_vocab); a mismatch is a cs::Error naming the file.
  static TokenStore open(const std::string& dir);

  const std::string& dir() const { return dir_; }
  int d_vocab() const { return d_vocab_; }
  int bos_id() const { return bos_id_; }
  int bytes_per_token() const { return item_; }
  int64_t n_tokens() const { return n_tokens_; }
  int64_t n_train_tokens() const { return n_train_tokens_; }  // training range [0, n_train_tokens)
  int64_t eval_begin() const { return n_train_tokens_; }      // held-out range [eval_begin, n_tokens)
  uint32_t at(int64_t i) const;
  // COUNT tokens starting at BEGIN into OUT, widened to int32.
  void read(int64_t begin, int64_t count, int32_t* out) const;

  int64_t n_docs() const { return int64_t(docs_.size()); }
  const std::vector<Document>& documents() const { return docs_; }
  std::vector<int64_t> eval_documents() const;  // corpus indices, ascending
  const std::vector<int64_t>& token_counts() const { return counts_; }
  const nlohmann::json& meta() const { return meta_; }

 private:
  std::string dir_;
  io::MappedFile bin_;
  const uint8_t* data_ = nullptr;
  int item_ = 2;
  int d_vocab_ = 0, bos_id_ = 0;
  int64_t n_tokens_ = 0, n_train_tokens_ = 0;
  std::vector<Document> docs_;
  std::vector<int64_t> counts_;
  nlohmann::json meta_;
};

}  // namespace cs::data
