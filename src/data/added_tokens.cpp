#include "data/added_tokens.h"

#include <algorithm>

namespace cs::data {

AddedTokenFinder::AddedTokenFinder(const std::vector<AddedToken>& tokens) {
  for (const AddedToken& t : tokens) {
    Pass& p = t.normalized ? normalized_ : raw_;
    p.tokens.emplace_back(t.content, t.id);
    if (p.first_bytes.find(t.content[0]) == std::string::npos) p.first_bytes += t.content[0];
  }
  for (Pass* p : {&raw_, &normalized_})
    std::stable_sort(p->tokens.begin(), p->tokens.end(),
                     [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
}

void AddedTokenFinder::Pass::split(std::string_view text, std::vector<Segment>& out) const {
  size_t start = 0;  // where the text since the last token began
  size_t at = tokens.empty() ? std::string_view::npos : text.find_first_of(first_bytes);
  while (at != std::string_view::npos) {
    const auto hit = std::find_if(tokens.begin(), tokens.end(), [&](const auto& t) {
      return text.compare(at, t.first.size(), t.first) == 0;
    });
    if (hit == tokens.end()) {
      at = text.find_first_of(first_bytes, at + 1);
      continue;
    }
    if (at > start) out.push_back({text.substr(start, at - start), -1});
    out.push_back({text.substr(at, hit->first.size()), hit->second});
    start = at + hit->first.size();
    at = text.find_first_of(first_bytes, start);
  }
  if (start < text.size()) out.push_back({text.substr(start), -1});
}

std::vector<AddedTokenFinder::Segment> AddedTokenFinder::split(std::string_view text) const {
  std::vector<Segment> first, out;
  raw_.split(text, first);
  for (const Segment& s : first) {
    if (s.id >= 0) out.push_back(s);
    else normalized_.split(s.text, out);
  }
  return out;
}

}  // namespace cs::data
