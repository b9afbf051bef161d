#include "data/added_tokens.h"

#include <algorithm>

namespace cs::data {

AddedTokenFinder::AddedTokenFinder(std::vector<std::pair<std::string, int32_t>> tokens)
    : tokens_(std::move(tokens)) {
  std::stable_sort(tokens_.begin(), tokens_.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  for (const auto& [content, id] : tokens_)
    if (first_bytes_.find(content[0]) == std::string::npos) first_bytes_ += content[0];
}

void AddedTokenFinder::split(std::string_view text, std::vector<Segment>& out) const {
  size_t start = 0;  // where the text since the last token began
  size_t at = tokens_.empty() ? std::string_view::npos : text.find_first_of(first_bytes_);
  while (at != std::string_view::npos) {
    const auto hit = std::find_if(tokens_.begin(), tokens_.end(), [&](const auto& t) {
      return text.compare(at, t.first.size(), t.first) == 0;
    });
    if (hit == tokens_.end()) {
      at = text.find_first_of(first_bytes_, at + 1);
      continue;
    }
    if (at > start) out.push_back({text.substr(start, at - start), -1});
    out.push_back({text.substr(at, hit->first.size()), hit->second});
    start = at + hit->first.size();
    at = text.find_first_of(first_bytes_, start);
  }
  if (start < text.size()) out.push_back({text.substr(start), -1});
}

}  // namespace cs::data
