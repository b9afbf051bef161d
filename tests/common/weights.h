#pragma once
// Every weight of a snapshot file, tensors in file order: for comparing two runs bit for bit.
#include <string>
#include <vector>

#include "io/safetensors.h"

namespace cs::test {

inline std::vector<float> weights(const std::string& path) {
  const auto st = io::SafeTensors::open(path);
  std::vector<float> all;
  for (const auto& name : st.names()) {
    const auto w = st.get_f32(name);
    all.insert(all.end(), w.begin(), w.end());
  }
  return all;
}

}  // namespace cs::test
