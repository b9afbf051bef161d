#include "data/corpus.h"

#include <algorithm>
#include <filesystem>

#include "core/error.h"
#include "data/gettext_corpus.h"
#include "data/utf8.h"
#include "io/atomic_file.h"

namespace cs::data {

namespace fs = std::filesystem;

namespace {

// Editors on some systems start files with a byte-order mark; it is not text.
std::string strip_bom(std::string s) {
  if (s.size() >= 3 && s.compare(0, 3, "\xEF\xBB\xBF") == 0) s.erase(0, 3);
  return s;
}

bool is_hidden(const fs::path& relative) {
  for (const auto& part : relative)
    if (!part.empty() && part.native()[0] == '.' && part != "." && part != "..") return true;
  return false;
}

Corpus read_folder(const fs::path& root) {
  std::vector<std::string> rel;
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::follow_directory_symlink, ec);
  CS_CHECK(!ec, "cannot read corpus folder " << root.string() << ": " << ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    CS_CHECK(!ec, "cannot read corpus folder " << root.string() << ": " << ec.message());
    const fs::path r = fs::relative(it->path(), root);
    if (is_hidden(r)) {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file()) rel.push_back(r.generic_string());
  }
  // Byte order, not locale order: the document order (hence the split) must not depend on the
  // machine.
  std::sort(rel.begin(), rel.end());
  Corpus c;
  for (const auto& r : rel) {
    const std::string file = (root / r).string();
    std::string text = strip_bom(io::read_file(file));
    check_utf8(text, file);
    if (text.empty()) continue;
    c.names.push_back(r);
    c.docs.push_back(std::move(text));
  }
  return c;
}

Corpus read_single_file(const fs::path& path) {
  const std::string file = path.string();
  const std::string raw = io::read_file(file);
  check_utf8(raw, file);
  std::vector<std::string> docs = split_form_feed_documents(strip_bom(raw));
  Corpus c;
  const std::string base = path.filename().string();
  for (size_t i = 0; i < docs.size(); ++i) {
    c.names.push_back(base + "#" + std::to_string(i));
    c.docs.push_back(std::move(docs[i]));
  }
  return c;
}

}  // namespace

int64_t Corpus::bytes() const {
  int64_t n = 0;
  for (const auto& d : docs) n += int64_t(d.size());
  return n;
}

void Corpus::append(Corpus other, const std::string& name_prefix) {
  notes.insert(notes.end(), other.notes.begin(), other.notes.end());
  for (size_t i = 0; i < other.docs.size(); ++i) {
    names.push_back(name_prefix + other.names[i]);
    docs.push_back(std::move(other.docs[i]));
  }
}

std::vector<std::string> split_form_feed_documents(const std::string& text) {
  std::vector<std::string> docs;
  std::string cur;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    const size_t end = nl == std::string::npos ? text.size() : nl + 1;
    std::string_view line(text.data() + pos, end - pos);
    std::string_view body = line;
    if (!body.empty() && body.back() == '\n') body.remove_suffix(1);
    if (!body.empty() && body.back() == '\r') body.remove_suffix(1);
    if (body == "\f") {
      if (!cur.empty()) docs.push_back(std::move(cur));
      cur.clear();
    } else {
      cur.append(line);
    }
    pos = end;
  }
  if (!cur.empty()) docs.push_back(std::move(cur));
  return docs;
}

Corpus read_corpus(const std::string& path) {
  if (is_named_corpus(path)) return read_named_corpus(path);
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  CS_CHECK(fs::exists(st), "corpus not found: " << path);
  Corpus c;
  if (fs::is_directory(st)) c = read_folder(path);
  else if (fs::is_regular_file(st)) c = read_single_file(path);
  else cs::fail("corpus " + path + " is neither a file nor a folder");
  CS_CHECK(!c.docs.empty(), "corpus " << path << " holds no documents (every file is empty"
                                      << (fs::is_directory(st) ? " or the folder has no files" : "")
                                      << ")");
  return c;
}

Corpus read_corpora(const std::vector<std::string>& paths) {
  CS_CHECK(!paths.empty(), "no corpus given");
  if (paths.size() == 1) return read_corpus(paths[0]);
  Corpus all;
  for (size_t k = 0; k < paths.size(); ++k)
    all.append(read_corpus(paths[k]), std::to_string(k) + ":");
  return all;
}

}  // namespace cs::data
