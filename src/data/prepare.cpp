#include "data/prepare.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/files.h"
#include "data/default_corpus.h"
#include "data/gettext_corpus.h"
#include "io/atomic_file.h"

namespace cs::data {

namespace {
double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// How tokens.json names the corpora mixed: "builtin: + python-source:".
std::string corpus_label(const std::vector<std::string>& corpus) {
  std::string label;
  for (const auto& p : corpus) label += (label.empty() ? "" : " + ") + p;
  return label;
}

bool holds_same_tokens(const std::string& dir, const PrepareOptions& o) {
  if (!is_token_dir(dir)) return false;
  const auto j = nlohmann::json::parse(io::read_file(token_dir_of(dir) + "/" + file_name(File::token_meta)), nullptr, false);
  return j.is_object() && j.value("corpus", "") == corpus_label(o.corpus) &&
         j.value("d_vocab", 0) == (o.bytes ? 257 : o.d_vocab) && j.value("seed", uint64_t(0)) == o.seed &&
         j.value("eval_fraction", -1.0) == o.eval_fraction;
}
}  // namespace

PrepareResult prepare_tokens(const PrepareOptions& o, const std::string& out_dir,
                             const std::function<void(const std::string&)>& log) {
  auto say = [&](const std::string& s) {
    if (log) log(s);
  };
  const auto t0 = std::chrono::steady_clock::now();
  PrepareResult r;
  Corpus corpus;
  if (o.corpus.empty()) {
    corpus = read_default_corpus();
    r.corpus_label = default_corpus_description();
  } else {
    corpus = read_corpora(o.corpus);
    r.corpus_label = corpus_label(o.corpus);
  }
  r.corpus_bytes = corpus.bytes();
  r.read_seconds = since(t0);
  say("read " + std::to_string(corpus.size()) + " documents, " +
      std::to_string(r.corpus_bytes) + " bytes: " + r.corpus_label);
  for (const std::string& note : corpus.notes) say("note: " + note);

  const int saved_threads = omp_get_max_threads();
  if (o.threads > 0) omp_set_num_threads(o.threads);
  const auto t1 = std::chrono::steady_clock::now();
  std::unique_ptr<Tokenizer> tok;
  if (o.bytes) {
    tok = make_byte_tokenizer();
  } else {
    say("training a BPE tokenizer, d_vocab " + std::to_string(o.d_vocab));
    BpeOptions b;
    b.d_vocab = o.d_vocab;
    b.seed = o.seed;
    b.max_sentences = o.max_sentences;
    b.threads = o.threads;
    tok = train_bpe_tokenizer(corpus.docs, b);
  }
  r.tokenizer = tok->kind();
  r.tokenizer_seconds = since(t1);
  say("encoding");
  r.summary = tokenize_corpus(corpus, *tok, out_dir, o.eval_fraction, o.seed, r.corpus_label);
  if (o.threads > 0) omp_set_num_threads(saved_threads);
  r.total_seconds = since(t0);
  return r;
}

std::optional<PrepareResult> prepare_tokens_once(const PrepareOptions& o, const std::string& out_dir,
                                                 const std::function<void(const std::string&)>& log) {
  const bool named = !o.corpus.empty() && std::all_of(o.corpus.begin(), o.corpus.end(), is_named_corpus);
  if (named && holds_same_tokens(out_dir, o)) return std::nullopt;
  if (log) log("tokenizing " + (o.corpus.empty() ? default_corpus_description() : corpus_label(o.corpus)));
  std::filesystem::remove_all(out_dir);
  return prepare_tokens(o, out_dir, log);
}

std::string summary_line(const PrepareResult& r) {
  const TokenizeSummary& s = r.summary;
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "%lld documents (%lld training, %lld held out), %lld tokens (%lld training), "
                "d_vocab %d (%s), %.1f MB of text, %.1f bytes/token, %.1f s (tokenizer %.1f s)",
                (long long)s.n_docs, (long long)s.n_train_docs, (long long)s.n_eval_docs,
                (long long)s.n_tokens, (long long)s.n_train_tokens, s.d_vocab,
                r.tokenizer.c_str(), double(r.corpus_bytes) / 1e6,
                double(r.corpus_bytes) / double(std::max<int64_t>(1, s.n_tokens - s.n_docs)),
                r.total_seconds, r.tokenizer_seconds);
  return buf;
}

}  // namespace cs::data
