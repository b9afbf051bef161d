#pragma once
// One fuzz input stands for several files: their bytes joined by kPartSeparator. An input with
// fewer parts leaves the last files out.
#include <cstddef>
#include <string_view>
#include <vector>

namespace cs::fuzz {

inline constexpr std::string_view kPartSeparator{"\0--next-file--\0", 15};

// At most N_PARTS parts: the last one keeps any further separators.
inline std::vector<std::string_view> split_parts(std::string_view input, size_t n_parts) {
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < n_parts) {
    const size_t at = input.find(kPartSeparator);
    if (at == std::string_view::npos) break;
    parts.push_back(input.substr(0, at));
    input.remove_prefix(at + kPartSeparator.size());
  }
  parts.push_back(input);
  return parts;
}

}  // namespace cs::fuzz
