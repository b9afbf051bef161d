#pragma once
// The built-in corpus (docs/corpus.md): English technical prose with code, read from Debian
// documentation packages so nothing is downloaded. Two sources, mixed in a fixed order:
// the Python 3.11 documentation's reStructuredText sources and the Linux 6.1 kernel
// documentation's reStructuredText sources (English only).
#include <string>
#include <string_view>
#include <vector>

#include "data/corpus.h"

namespace cs::data {

struct DefaultCorpusSource {
  std::string name;      // short label, used as the document-name prefix
  std::string package;   // Debian package that ships it
  std::string folder;    // where the package puts the files
  std::string licence;   // one line; the full text is in /usr/share/doc/PACKAGE/copyright
  std::vector<std::string> skip;  // subfolders left out, relative to folder (translations, tests)
  std::string extension = ".txt";  // the files read
  // When set, exactly the files it lists are read, in its order ("path size fnv1a64" lines,
  // written by scripts/pin-python-source.sh), and any that are missing or differ are named in the
  // corpus's notes; the folder walk, skip and extension are then unused.
  std::string_view manifest;
};

// The sources, with the folder that exists on this machine (or the expected one when missing).
std::vector<DefaultCorpusSource> default_corpus_sources();

// Reads every source; a missing package is a cs::Error naming it and scripts/install-deps.sh.
Corpus read_default_corpus();

// One line for logs and metadata, e.g. "default corpus: python3.11-doc + linux-doc-6.1".
std::string default_corpus_description();

// Source code that repeats its own identifiers: the Python standard library's .py files as
// Debian 12 installs them (/usr/lib/python3.11: libpython3.11-minimal and -stdlib, which python3
// pulls in, with python3-distutils, python3-lib2to3, python3.11-venv and libpython3.11-dev),
// without its tests and third-party packages, pinned by a manifest of 635 files so that every
// machine reads the same corpus. The corpus name "python-source:".
DefaultCorpusSource python_source();
Corpus read_corpus_source(const DefaultCorpusSource& src);

}  // namespace cs::data
