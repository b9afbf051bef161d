#pragma once
// Reading a text corpus (docs/corpus.md, "Your own corpus"): a folder where each file is one
// document, or one file whose documents are separated by lines holding only a form feed.
#include <cstdint>
#include <string>
#include <vector>

namespace cs::data {

struct Corpus {
  std::vector<std::string> names;  // one per document: relative path, or "FILE#k" for \f-separated
  std::vector<std::string> docs;   // UTF-8 text, as stored (no normalisation)
  std::vector<std::string> notes;  // what a reader should know, e.g. files that differ from a pinned list

  size_t size() const { return docs.size(); }
  int64_t bytes() const;
  // Appends another corpus's documents, prefixing their names (a corpus mix).
  void append(Corpus other, const std::string& name_prefix);
};

// PATH is a folder (recursing; files in byte order of their relative path so every machine sees
// the same order; hidden entries, starting with '.', are skipped) or a file. Empty documents are
// dropped; a corpus with no document, a missing path or invalid UTF-8 is a cs::Error naming the
// file (and byte offset). The names "builtin:" and "gettext:LANG" read the corpora of
// data/gettext_corpus.h instead.
Corpus read_corpus(const std::string& path);

// Several paths read in the given order into one corpus, names prefixed by "k:" for the k-th path
// when more than one is given.
Corpus read_corpora(const std::vector<std::string>& paths);

// Splits one file's text at lines holding only "\f" (optionally "\f\r"). Exposed for tests.
std::vector<std::string> split_form_feed_documents(const std::string& text);

}  // namespace cs::data
