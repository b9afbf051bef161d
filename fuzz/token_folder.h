#pragma once
// One fuzz input stands for a whole token folder: its files' bytes in kTokenFiles order, joined by
// kPartSeparator. An input with fewer parts leaves the last files out.
#include <cstddef>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "core/files.h"

namespace cs::fuzz {

inline constexpr File kTokenFiles[] = {File::token_meta, File::token_stream, File::token_documents,
                                       File::token_split, File::token_counts};
inline constexpr std::string_view kPartSeparator{"\0--next-file--\0", 15};

inline std::vector<std::string_view> split_parts(std::string_view input) {
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < std::size(kTokenFiles)) {
    const size_t at = input.find(kPartSeparator);
    if (at == std::string_view::npos) break;
    parts.push_back(input.substr(0, at));
    input.remove_prefix(at + kPartSeparator.size());
  }
  parts.push_back(input);
  return parts;
}

}  // namespace cs::fuzz
