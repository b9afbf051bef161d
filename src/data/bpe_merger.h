#pragma once
// The merge step of byte-level BPE (docs/tokenizers.md): a piece starts as one token per byte and
// joins its adjacent pair of lowest merge rank, again and again, until no adjacent pair has a
// merge. Ties go to the leftmost pair, which gives the same tokens as joining every occurrence of
// the pair left to right (GPT-2's formulation).
#include <array>
#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace cs::data {

class BpeMerger {
 public:
  struct Merge {
    int32_t left, right, result;
  };
  // BYTE_IDS: each byte's token, -1 for bytes without one (encoding them is a cs::Error). MERGES in rank order; a pair listed twice keeps its later rank,
  // as GPT-2's and Hugging Face's readers do.
  BpeMerger(const std::array<int32_t, 256>& byte_ids, const std::vector<Merge>& merges);

  // Appends the tokens of PIECE (raw bytes) to OUT.
  void encode(std::string_view piece, std::vector<int32_t>& out) const;

 private:
  struct Rank {
    int32_t rank, result;
  };
  const Rank* find(int32_t left, int32_t right) const;

  std::array<int32_t, 256> byte_ids_;
  std::unordered_map<uint64_t, Rank> ranks_;  // key: left << 32 | right
};

}  // namespace cs::data
