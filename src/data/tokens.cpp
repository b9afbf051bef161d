#include "data/tokens.h"

#include <omp.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <type_traits>

#include "core/error.h"
#include "core/files.h"
#include "core/json_integer.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "io/atomic_file.h"
#include "io/mapped_file.h"
#include "io/npy.h"

namespace cs::data {

namespace fs = std::filesystem;

namespace {
std::string in(const std::string& dir, File f) { return dir + "/" + file_name(f); }
}  // namespace
using json = nlohmann::json;

namespace {

constexpr uint64_t kSplitStream = 0x73706c6974ull;  // "split": keeps this draw apart from others

template <class T>
void append_tokens(std::vector<T>& buf, int bos, const std::vector<int32_t>& ids) {
  buf.push_back(T(bos));
  for (int32_t id : ids) buf.push_back(T(id));
}

template <class T>
void write_stream(const std::string& path, int bos, const std::vector<std::vector<int32_t>>& enc,
                  const std::vector<int64_t>& order) {
  io::AtomicFile f(path);
  std::vector<T> buf;
  for (int64_t d : order) {
    append_tokens(buf, bos, enc[size_t(d)]);
    if (buf.size() >= (1u << 20)) {
      f.write(buf.data(), buf.size() * sizeof(T));
      buf.clear();
    }
  }
  f.write(buf.data(), buf.size() * sizeof(T));
  f.commit();
}

// Stream order: training documents, then held-out ones.
std::vector<int64_t> stream_order(const std::vector<bool>& is_eval) {
  std::vector<int64_t> order;
  for (int pass = 0; pass < 2; ++pass)
    for (int64_t d = 0; d < int64_t(is_eval.size()); ++d)
      if (is_eval[size_t(d)] == (pass == 1)) order.push_back(d);
  return order;
}

// The folder's arrays besides the stream: where each document lies in it, which side of the
// split it is on, and the token counts over the training range.
struct StreamIndex {
  std::vector<int64_t> ranges;  // [n_docs, 2]
  std::vector<uint8_t> split;   // [n_docs]
  std::vector<int64_t> counts;  // [d_vocab]
};

// Fills the summary's document and token counts on the way.
StreamIndex index_stream(const std::vector<std::vector<int32_t>>& enc,
                         const std::vector<int64_t>& order, const std::vector<bool>& is_eval, int bos,
                         TokenizeSummary& s) {
  const int64_t n_docs = int64_t(enc.size());
  const int d_vocab = s.d_vocab;
  StreamIndex x{std::vector<int64_t>(size_t(n_docs) * 2),
                std::vector<uint8_t>(static_cast<size_t>(n_docs)),
                std::vector<int64_t>(size_t(d_vocab), 0)};
  int64_t pos = 0;
  for (int64_t d : order) {
    const auto& ids = enc[size_t(d)];
    const int64_t len = 1 + int64_t(ids.size());
    x.ranges[size_t(2 * d)] = pos;
    x.ranges[size_t(2 * d + 1)] = pos + len;
    x.split[size_t(d)] = is_eval[size_t(d)] ? 1 : 0;
    pos += len;
    if (is_eval[size_t(d)]) {
      ++s.n_eval_docs;
      continue;
    }
    ++s.n_train_docs;
    s.n_train_tokens += len;
    ++x.counts[size_t(bos)];
    for (int32_t id : ids) {
      CS_CHECK(id >= 0 && id < d_vocab,
               "tokenizer produced id " << id << " outside [0, " << d_vocab << ")");
      ++x.counts[size_t(id)];
    }
  }
  s.n_tokens = pos;
  return x;
}

// Every file of the folder but tokens.json.
void write_token_files(const std::string& out_dir, const Corpus& corpus, const Tokenizer& tok,
                       const std::vector<std::vector<int32_t>>& enc,
                       const std::vector<int64_t>& order, const StreamIndex& x, bool wide) {
  const int64_t n_docs = int64_t(enc.size());
  const int bos = tok.bos_id();
  fs::create_directories(out_dir);
  // tokens.json goes last; remove a stale one first so a crash mid-way never leaves a folder
  // that looks complete but mixes two tokenizations.
  fs::remove(in(out_dir, File::token_meta));
  if (wide) write_stream<uint32_t>(in(out_dir, File::token_stream), bos, enc, order);
  else write_stream<uint16_t>(in(out_dir, File::token_stream), bos, enc, order);
  io::write_npy(in(out_dir, File::token_documents), x.ranges.data(), {n_docs, 2});
  io::write_npy(in(out_dir, File::token_split), x.split.data(), {n_docs});
  io::write_npy(in(out_dir, File::token_counts), x.counts.data(), {int64_t(tok.d_vocab())});
  io::write_file_atomic(in(out_dir, File::token_document_names), json(corpus.names).dump() + "\n");
  fs::remove(in(out_dir, File::tokenizer_model));
  fs::remove(in(out_dir, File::tokenizer_json));
  tok.save(out_dir);
}

json token_meta(const TokenizeSummary& s, const Tokenizer& tok, bool wide, double eval_fraction,
                uint64_t seed, const Corpus& corpus, const std::string& corpus_label) {
  return {
      {"format", "circuitscope-tokens"},
      {"version", 1},
      {"dtype", wide ? "uint32" : "uint16"},
      {"tokenizer", tok.kind()},
      {"d_vocab", s.d_vocab},
      {"bos_id", tok.bos_id()},
      {"n_tokens", s.n_tokens},
      {"n_docs", s.n_docs},
      {"n_train_docs", s.n_train_docs},
      {"n_eval_docs", s.n_eval_docs},
      {"train_tokens", {0, s.n_train_tokens}},
      {"eval_tokens", {s.n_train_tokens, s.n_tokens}},
      {"eval_fraction", eval_fraction},
      {"seed", seed},
      {"corpus", corpus_label},
      {"corpus_bytes", corpus.bytes()},
  };
}

}  // namespace

std::vector<bool> split_documents(int64_t n_docs, double eval_fraction, uint64_t seed) {
  CS_CHECK(eval_fraction >= 0 && eval_fraction < 1,
           "--eval-fraction must be in [0, 1), got " << eval_fraction);
  int64_t n_eval = std::llround(eval_fraction * double(n_docs));
  if (eval_fraction > 0 && n_eval == 0 && n_docs >= 2) n_eval = 1;
  if (n_eval >= n_docs) n_eval = n_docs - 1;  // training needs at least one document
  std::vector<int64_t> perm(static_cast<size_t>(n_docs));
  for (int64_t i = 0; i < n_docs; ++i) perm[size_t(i)] = i;
  cs::Rng rng(seed ^ kSplitStream);
  for (int64_t i = 0; i < n_eval; ++i) {
    const int64_t j = i + int64_t(rng.below(uint64_t(n_docs - i)));
    std::swap(perm[size_t(i)], perm[size_t(j)]);
  }
  std::vector<bool> eval(size_t(n_docs), false);
  for (int64_t i = 0; i < n_eval; ++i) eval[size_t(perm[size_t(i)])] = true;
  return eval;
}

TokenizeSummary tokenize_corpus(const std::vector<std::string>& docs, const Tokenizer& tok,
                                const std::string& out_dir, double eval_fraction, uint64_t seed) {
  Corpus c;
  c.docs = docs;
  for (size_t i = 0; i < docs.size(); ++i) c.names.push_back("doc" + std::to_string(i));
  return tokenize_corpus(c, tok, out_dir, eval_fraction, seed);
}

TokenizeSummary tokenize_corpus(const Corpus& corpus, const Tokenizer& tok,
                                const std::string& out_dir, double eval_fraction, uint64_t seed,
                                const std::string& corpus_label) {
  const auto t0 = std::chrono::steady_clock::now();
  const int64_t n_docs = int64_t(corpus.docs.size());
  CS_CHECK(n_docs > 0, "cannot tokenize an empty corpus");
  const std::vector<bool> is_eval = split_documents(n_docs, eval_fraction, seed);

  std::vector<std::vector<int32_t>> enc(static_cast<size_t>(n_docs));
  // Documents vary from a few bytes to 200 KB: dynamic scheduling keeps both cores busy.
  FirstError error;
#pragma omp parallel for schedule(dynamic, 4)
  for (int64_t d = 0; d < n_docs; ++d) try {
      enc[size_t(d)] = tok.encode(corpus.docs[size_t(d)]);
    } catch (...) {
      error.capture();
    }
  error.rethrow();

  const std::vector<int64_t> order = stream_order(is_eval);
  TokenizeSummary s;
  s.n_docs = n_docs;
  s.d_vocab = tok.d_vocab();
  const StreamIndex x = index_stream(enc, order, is_eval, tok.bos_id(), s);
  const bool wide = s.d_vocab > 65536;
  write_token_files(out_dir, corpus, tok, enc, order, x, wide);
  const json meta = token_meta(s, tok, wide, eval_fraction, seed, corpus, corpus_label);
  io::write_file_atomic(in(out_dir, File::token_meta), meta.dump(2) + "\n");
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return s;
}

std::string token_dir_of(const std::string& dir) {
  std::error_code ec;
  const std::string nested = in(dir, File::tokens_dir);
  if (!fs::is_regular_file(in(dir, File::token_meta), ec) && fs::is_regular_file(in(nested, File::token_meta), ec))
    return nested;
  return dir;
}

bool is_token_dir(const std::string& dir) {
  std::error_code ec;
  return fs::is_regular_file(in(token_dir_of(dir), File::token_meta), ec);
}

// ---------------------------------------------------------------------------------------------

namespace {

template <class T>
T field(const json& j, const char* key, const std::string& path) {
  CS_CHECK(j.contains(key), path << ": missing field '" << key << "'");
  if constexpr (std::is_integral_v<T>) {
    return json_integer<T>(j[key], path + ": field '" + key + "'");
  } else {
    try {
      return j[key].get<T>();
    } catch (const json::exception&) {
      cs::fail(path + ": field '" + key + "' has the wrong type: " + j[key].dump());
    }
  }
}

std::vector<int64_t> integer_pair(const json& j, const char* key, const std::string& path) {
  CS_CHECK(j.contains(key) && j[key].is_array() && j[key].size() == 2,
           path << ": field '" << key << "' must be a pair of integers, got " << j.value(key, json()).dump());
  const std::string what = path + ": field '" + key + "'";
  return {json_integer<int64_t>(j[key][0], what), json_integer<int64_t>(j[key][1], what)};
}

}  // namespace

TokenStore TokenStore::open(const std::string& dir_in) {
  std::error_code ec;
  const std::string dir = token_dir_of(dir_in);
  CS_CHECK(fs::is_regular_file(in(dir, File::token_meta), ec),
           "no token folder at " << dir_in << " (" << file_name(File::token_meta) << " missing; run 'circuitscope tokenize')");
  TokenStore t;
  t.dir_ = dir;
  const std::string meta_path = in(dir, File::token_meta);
  try {
    t.meta_ = json::parse(io::read_file(meta_path));
  } catch (const json::exception& e) {
    cs::fail(meta_path + ": not valid JSON (" + e.what() + ")");
  }
  const json& m = t.meta_;
  CS_CHECK(m.is_object(), meta_path << ": expected a JSON object");
  const std::string dtype = field<std::string>(m, "dtype", meta_path);
  CS_CHECK(dtype == "uint16" || dtype == "uint32",
           meta_path << ": dtype must be uint16 or uint32, got '" << dtype << "'");
  t.item_ = dtype == "uint16" ? 2 : 4;
  t.d_vocab_ = field<int>(m, "d_vocab", meta_path);
  t.bos_id_ = field<int>(m, "bos_id", meta_path);
  t.n_tokens_ = field<int64_t>(m, "n_tokens", meta_path);
  const auto train = integer_pair(m, "train_tokens", meta_path);
  const int64_t n_docs = field<int64_t>(m, "n_docs", meta_path);
  CS_CHECK(t.d_vocab_ > 0 && (t.item_ == 4 || t.d_vocab_ <= 65536),
           meta_path << ": d_vocab " << t.d_vocab_ << " does not fit dtype " << dtype);
  CS_CHECK(t.bos_id_ >= 0 && t.bos_id_ < t.d_vocab_,
           meta_path << ": bos_id " << t.bos_id_ << " outside [0, " << t.d_vocab_ << ")");
  CS_CHECK(train[0] == 0 && train[1] > 0 && train[1] <= t.n_tokens_,
           meta_path << ": train_tokens must be [0, n] with 0 < n <= n_tokens (" << t.n_tokens_ << ")");
  t.n_train_tokens_ = train[1];

  const std::string bin_path = in(dir, File::token_stream);
  t.bin_ = io::MappedFile::open(bin_path);
  const io::MappedFile& bin = t.bin_;
  // Compared by division: n_tokens * item_ can overflow for a tampered tokens.json.
  CS_CHECK(bin.size() % size_t(t.item_) == 0 && bin.size() / size_t(t.item_) == uint64_t(t.n_tokens_),
           bin_path << ": " << bin.size() << " bytes, but " << file_name(File::token_meta) << " says "
                    << t.n_tokens_ << " tokens of " << dtype << " (" << t.item_ << " bytes each)");
  t.data_ = bin.data();
  // One pass over the stream catches a tampered or mismatched file before training reads it.
  uint32_t max_id = 0;
  for (int64_t i = 0; i < t.n_tokens_; ++i) max_id = std::max(max_id, t.at(i));
  CS_CHECK(int64_t(max_id) < t.d_vocab_, bin_path << ": token id " << max_id
                                             << " is outside the vocabulary [0, " << t.d_vocab_ << ")");

  const std::string docs_path = in(dir, File::token_documents), split_path = in(dir, File::token_split);
  const io::NpyArray docs = io::read_npy(docs_path);
  CS_CHECK(docs.shape == (std::vector<int64_t>{n_docs, 2}), docs_path << ": expected shape [" << n_docs << ", 2]");
  const io::NpyArray split = io::read_npy(split_path);
  CS_CHECK(split.shape == std::vector<int64_t>{n_docs}, split_path << ": expected shape [" << n_docs << "]");
  const std::vector<int64_t> r = docs.to_int64(), sp = split.to_int64();
  for (int64_t d = 0; d < n_docs; ++d) {
    Document doc{r[size_t(2 * d)], r[size_t(2 * d + 1)], sp[size_t(d)] != 0};
    const bool in_range = doc.eval ? doc.begin >= t.n_train_tokens_ : doc.end <= t.n_train_tokens_;
    CS_CHECK(doc.begin >= 0 && doc.begin < doc.end && doc.end <= t.n_tokens_ && in_range &&
                 t.at(doc.begin) == uint32_t(t.bos_id_),
             docs_path << ": document " << d << " range [" << doc.begin << ", " << doc.end
                 << ") is not a " << (doc.eval ? "held-out" : "training")
                 << " range starting at BOS");
    t.docs_.push_back(doc);
  }
  const std::string counts_path = in(dir, File::token_counts);
  const io::NpyArray counts = io::read_npy(counts_path);
  CS_CHECK(counts.shape == std::vector<int64_t>{t.d_vocab_}, counts_path << ": expected shape [" << t.d_vocab_ << "]");
  t.counts_ = counts.to_int64();
  return t;
}

uint32_t TokenStore::at(int64_t i) const {
  if (item_ == 2) {
    uint16_t v;
    std::memcpy(&v, data_ + 2 * i, 2);
    return v;
  }
  uint32_t v;
  std::memcpy(&v, data_ + 4 * i, 4);
  return v;
}

void TokenStore::read(int64_t begin, int64_t count, int32_t* out) const {
  CS_CHECK(begin >= 0 && count >= 0 && begin + count <= n_tokens_,
           "token range [" << begin << ", " << begin + count << ") outside [0, " << n_tokens_ << ")");
  if (item_ == 2) {
    const uint8_t* p = data_ + 2 * begin;
    for (int64_t i = 0; i < count; ++i) {
      uint16_t v;
      std::memcpy(&v, p + 2 * i, 2);
      out[i] = int32_t(v);
    }
  } else {
    for (int64_t i = 0; i < count; ++i) out[i] = int32_t(at(begin + i));
  }
}

std::vector<int64_t> TokenStore::eval_documents() const {
  std::vector<int64_t> out;
  for (int64_t d = 0; d < n_docs(); ++d)
    if (docs_[size_t(d)].eval) out.push_back(d);
  return out;
}

}  // namespace cs::data
