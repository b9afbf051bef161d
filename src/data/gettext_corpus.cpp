#include "data/gettext_corpus.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/error.h"
#include "data/default_corpus.h"
#include "data/utf8.h"

namespace cs::data {

namespace fs = std::filesystem;

namespace {

std::string language_name(const std::string& lang) {
  if (lang == "fr") return "French";
  if (lang == "de") return "German";
  if (lang == "es") return "Spanish";
  return lang;
}

// The .mo layout: magic, revision, count, offset of the message table, offset of the
// translation table; each table holds (length, offset) pairs of NUL-terminated strings.
struct MoReader {
  const std::string& bytes;
  const std::string& name;
  bool swap = false;

  uint32_t word(uint64_t at) const {
    CS_CHECK(at + 4 <= bytes.size(), name << ": truncated gettext catalogue (offset " << at << ")");
    uint32_t w;
    std::memcpy(&w, bytes.data() + at, 4);
    return swap ? __builtin_bswap32(w) : w;
  }
  std::string_view string(uint64_t table, uint32_t i) const {
    const uint64_t len = word(table + 8ull * i), off = word(table + 8ull * i + 4);
    CS_CHECK(off + len <= bytes.size(), name << ": string " << i << " runs past the end of the catalogue");
    return {bytes.data() + off, size_t(len)};
  }
};

// msgid "context\x04text" -> "text"; plural forms "one\0many" -> "one".
std::string_view message_text(std::string_view s) {
  if (const size_t ctx = s.find('\x04'); ctx != std::string_view::npos) s.remove_prefix(ctx + 1);
  return s.substr(0, s.find('\0'));
}

std::string read_catalogue(const std::string& path, const std::string& name, const std::string& language) {
  std::ifstream f(path, std::ios::binary);
  CS_CHECK(f, "cannot read " << path);
  const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  MoReader mo{bytes, name};
  const uint32_t magic = mo.word(0);
  CS_CHECK(magic == 0x950412deu || magic == 0xde120495u, name << ": not a gettext catalogue (magic " << magic << ")");
  mo.swap = magic == 0xde120495u;
  const uint32_t n = mo.word(8), originals = mo.word(12), translations = mo.word(16);
  std::string doc;
  for (uint32_t i = 0; i < n; ++i) {
    const std::string_view id = mo.string(originals, i), str = mo.string(translations, i);
    if (id.empty()) {  // the header: its charset decides whether the catalogue is usable
      if (str.find("charset=UTF-8") == std::string_view::npos && str.find("charset=utf-8") == std::string_view::npos)
        return {};
      continue;
    }
    const std::string_view en = message_text(id), tr = message_text(str);
    if (en.empty() || tr.empty() || en == tr) continue;
    if (find_invalid_utf8(en) != std::string::npos || find_invalid_utf8(tr) != std::string::npos) continue;
    doc.append("English: ").append(en).append("\n").append(language).append(": ").append(tr).append("\n\n");
  }
  return doc;
}

}  // namespace

bool is_named_corpus(const std::string& spec) {
  return spec == "builtin:" || spec == "python-source:" || spec.rfind("gettext:", 0) == 0;
}

Corpus read_named_corpus(const std::string& spec) {
  if (spec == "builtin:") return read_default_corpus();
  if (spec == "python-source:") return read_corpus_source(python_source());
  CS_CHECK(spec.rfind("gettext:", 0) == 0,
           "unknown corpus name '" << spec << "' (builtin:, python-source: or gettext:LANG)");
  return read_gettext_corpus(spec.substr(8));
}

Corpus read_gettext_corpus(const std::string& lang, const std::string& locale_root) {
  CS_CHECK(!lang.empty() && lang.find('/') == std::string::npos && lang.find("..") == std::string::npos,
           "gettext corpus: '" << lang << "' is not a language code (e.g. gettext:fr)");
  const fs::path dir = fs::path(locale_root) / lang / "LC_MESSAGES";
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file() && e.path().extension() == ".mo") files.push_back(e.path().filename().string());
  CS_CHECK(!files.empty(), "gettext corpus: no catalogues (*.mo) in " << dir.string()
                                << "; packages install them with their translations");
  std::sort(files.begin(), files.end());
  Corpus c;
  const std::string language = language_name(lang);
  for (const std::string& f : files) {
    std::string doc = read_catalogue((dir / f).string(), f, language);
    if (doc.empty()) continue;
    c.names.push_back(f);
    c.docs.push_back(std::move(doc));
  }
  CS_CHECK(!c.docs.empty(), "gettext corpus: no UTF-8 translations in the catalogues of " << dir.string());
  return c;
}

}  // namespace cs::data
