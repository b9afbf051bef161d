// GPT-2's release files (docs/tokenizers.md): vocab.json, {"spelling": id, ...}, and merges.txt,
// one merge "a b" a line in rank order after a "#version" comment.
#include "core/error.h"
#include "data/bpe_spec.h"
#include "io/atomic_file.h"
#include "io/json_file.h"

namespace cs::data {

namespace {

constexpr std::string_view kEndOfText = "<|endoftext|>";

std::vector<std::pair<std::string, std::string>> read_merges_txt(const std::string& path) {
  const std::string text = io::read_file(path);
  std::vector<std::pair<std::string, std::string>> out;
  size_t line_no = 0;
  for (size_t at = 0; at < text.size();) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    const std::string_view line = std::string_view(text).substr(at, end - at);
    at = end + 1;
    ++line_no;
    if (line.rfind("#version", 0) == 0) continue;
    const size_t space = line.find(' ');
    CS_CHECK(space != std::string_view::npos && line.find(' ', space + 1) == std::string_view::npos,
             path << " line " << line_no << ": expected two tokens separated by one space");
    out.emplace_back(line.substr(0, space), line.substr(space + 1));
  }
  return out;
}

}  // namespace

BpeSpec read_gpt2_bpe(const std::string& vocab_path, const std::string& merges_path) {
  BpeSpec spec;
  spec.vocab = read_bpe_vocab(io::read_json_file(vocab_path), vocab_path);
  spec.merges = read_merges_txt(merges_path);
  // GPT-2's tokenizer finds <|endoftext|> in text as one token; the release files say so nowhere.
  for (const auto& [token, id] : spec.vocab)
    if (token == kEndOfText) spec.added.push_back({token, id, false, true});
  return spec;
}

}  // namespace cs::data
