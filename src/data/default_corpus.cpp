#include "data/default_corpus.h"

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "core/error.h"
#include "data/utf8.h"
#include "io/atomic_file.h"

namespace cs::data {

namespace fs = std::filesystem;

namespace {

// The pinned versions come first so the corpus is the documented one; a later Debian release
// ships newer versions under other names, which are used only when the pinned one is absent.
std::string find_folder(const std::string& pinned, const std::string& prefix,
                        const std::string& suffix, const std::string& parent = "/usr/share/doc") {
  std::error_code ec;
  if (fs::is_directory(pinned, ec)) return pinned;
  std::vector<std::string> found;
  for (const auto& e : fs::directory_iterator(parent, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(prefix, 0) == 0 && fs::is_directory(e.path() / suffix, ec))
      found.push_back((e.path() / suffix).string());
  }
  if (found.empty()) return pinned;
  std::sort(found.begin(), found.end());
  return found.back();
}

// 64-bit FNV-1a: enough to notice a file that changed, with nothing to link.
uint64_t fnv1a(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : bytes) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

// "path size checksum" lines; the list of files to read and what each must hold.
struct PinnedFile {
  std::string path;
  int64_t size = 0;
  uint64_t checksum = 0;
};

std::vector<PinnedFile> parse_manifest(std::string_view manifest) {
  std::vector<PinnedFile> files;
  std::istringstream in{std::string(manifest)};
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::istringstream f(line);
    PinnedFile p;
    f >> p.path >> p.size >> std::hex >> p.checksum;
    CS_CHECK(f, "corpus manifest line '" << line << "' is not 'path size checksum'");
    files.push_back(p);
  }
  return files;
}

// The manifest's files, in its order. A missing or changed file is reported, not fatal: the
// corpus is still usable, only not the documented one.
Corpus read_pinned(const DefaultCorpusSource& src) {
  Corpus c;
  std::vector<std::string> missing, changed;
  const std::vector<PinnedFile> files = parse_manifest(src.manifest);
  for (const PinnedFile& p : files) {
    const std::string path = src.folder + "/" + p.path;
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {
      missing.push_back(p.path);
      continue;
    }
    std::string text = io::read_file(path);
    if (int64_t(text.size()) != p.size || fnv1a(text) != p.checksum) changed.push_back(p.path);
    check_utf8(text, path);
    if (text.empty()) continue;
    c.names.push_back(src.name + "/" + p.path);
    c.docs.push_back(std::move(text));
  }
  CS_CHECK(!c.docs.empty(), "none of the " << files.size() << " files of the " << src.name << " corpus is in "
                                           << src.folder << "; install " << src.package
                                           << " with scripts/install-deps.sh or pass --corpus");
  if (!missing.empty() || !changed.empty()) {
    std::ostringstream n;
    n << src.name << ": this machine's files differ from the pinned list of " << files.size() << " ("
      << missing.size() << " missing, " << changed.size() << " changed; first: "
      << (missing.empty() ? changed[0] : missing[0]) << "), so the corpus is not the one docs/corpus.md "
      << "describes and results may differ from the documented ones";
    c.notes.push_back(n.str());
  }
  return c;
}

}  // namespace

Corpus read_corpus_source(const DefaultCorpusSource& src) {
  std::error_code ec;
  CS_CHECK(fs::is_directory(src.folder, ec),
           "the " << src.name << " corpus needs the Debian package " << src.package << " (folder "
               << src.folder << " is missing); install it with scripts/install-deps.sh or pass "
               << "--corpus");
  if (!src.manifest.empty()) return read_pinned(src);
  std::vector<std::string> rel;
  for (auto it = fs::recursive_directory_iterator(src.folder, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    CS_CHECK(!ec, "cannot read " << src.folder << ": " << ec.message());
    const fs::path r = fs::relative(it->path(), src.folder);
    if (it->is_directory() &&
        std::find(src.skip.begin(), src.skip.end(), r.generic_string()) != src.skip.end()) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file() && r.extension() == src.extension) rel.push_back(r.generic_string());
  }
  std::sort(rel.begin(), rel.end());
  Corpus c;
  for (const auto& r : rel) {
    std::string text = io::read_file(src.folder + "/" + r);
    check_utf8(text, src.folder + "/" + r);
    if (text.empty()) continue;
    c.names.push_back(src.name + "/" + r);
    c.docs.push_back(std::move(text));
  }
  CS_CHECK(!c.docs.empty(), "corpus folder " << src.folder << " holds no documents");
  return c;
}

std::vector<DefaultCorpusSource> default_corpus_sources() {
  return {
      {"python", "python3.11-doc",
       find_folder("/usr/share/doc/python3.11/html/_sources", "python3.", "html/_sources"),
       "Python Software Foundation License Version 2 (code examples also Zero-Clause BSD)",
       {}},
      {"linux", "linux-doc-6.1",
       find_folder("/usr/share/doc/linux-doc-6.1/html/_sources", "linux-doc-", "html/_sources"),
       "GPL-2.0 (Debian copyright, Files: *); a file's own SPDX line overrides it, e.g. "
       "GFDL-1.1-no-invariants-or-later for the media API documents",
       {"translations"}},
  };
}

Corpus read_default_corpus() {
  Corpus all;
  for (const auto& src : default_corpus_sources()) all.append(read_corpus_source(src), "");
  return all;
}

std::string default_corpus_description() {
  std::string s = "default corpus:";
  for (const auto& src : default_corpus_sources()) s += " " + src.package + " (" + src.folder + ")";
  return s;
}

DefaultCorpusSource python_source() {
  static constexpr std::string_view kManifest =
#include "data/python_source_manifest.inc"
      ;
  DefaultCorpusSource s{"python-source", "libpython3.11-stdlib",
                        "/usr/lib/python3.11",
                        "Python Software Foundation License Version 2 (/usr/share/doc/libpython3.11-stdlib/copyright)",
                        {}};
  s.extension = ".py";
  s.manifest = kManifest;
  return s;
}

}  // namespace cs::data
