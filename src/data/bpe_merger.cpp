#include "data/bpe_merger.h"

#include <functional>
#include <ios>
#include <queue>
#include <tuple>

#include "core/error.h"

namespace cs::data {

namespace {

uint64_t pair_key(int32_t left, int32_t right) {
  return uint64_t(uint32_t(left)) << 32 | uint32_t(right);
}

// A pair that may be joined: its rank, where it starts, and the two tokens it was found with (a
// pair whose left token has changed or lost its neighbour since is stale and skipped).
struct Candidate {
  int32_t rank, at, left, right, result;
  bool operator>(const Candidate& o) const { return std::tie(rank, at) > std::tie(o.rank, o.at); }
};

}  // namespace

BpeMerger::BpeMerger(const std::array<int32_t, 256>& byte_ids, const std::vector<Merge>& merges)
    : byte_ids_(byte_ids) {
  ranks_.reserve(merges.size());
  for (size_t r = 0; r < merges.size(); ++r)
    ranks_.insert_or_assign(pair_key(merges[r].left, merges[r].right), Rank{int32_t(r), merges[r].result});
}

const BpeMerger::Rank* BpeMerger::find(int32_t left, int32_t right) const {
  const auto it = ranks_.find(pair_key(left, right));
  return it == ranks_.end() ? nullptr : &it->second;
}

// The symbols form a linked list over the piece's bytes; a queue ordered by (rank, position)
// yields the next join in O(log n), so a long piece costs O(n log n), not O(n^2).
void BpeMerger::encode(std::string_view piece, std::vector<int32_t>& out) const {
  const int32_t n = int32_t(piece.size());
  std::vector<int32_t> id(piece.size()), prev(piece.size()), next(piece.size());
  for (int32_t i = 0; i < n; ++i) {
    const auto byte = static_cast<unsigned char>(piece[i]);
    id[i] = byte_ids_[byte];
    CS_CHECK(id[i] >= 0, "byte " << std::hex << std::uppercase << "0x" << int(byte)
                                 << " has no token in this vocabulary (the text is not UTF-8)");
    prev[i] = i - 1;
    next[i] = i + 1 < n ? i + 1 : -1;
  }
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> queue;
  auto offer = [&](int32_t at) {
    if (at < 0 || next[at] < 0) return;
    const int32_t right = id[next[at]];
    if (const Rank* r = find(id[at], right)) queue.push({r->rank, at, id[at], right, r->result});
  };
  for (int32_t i = 0; i + 1 < n; ++i) offer(i);
  while (!queue.empty()) {
    const Candidate c = queue.top();
    queue.pop();
    const int32_t after = next[c.at];
    if (id[c.at] != c.left || after < 0 || id[after] != c.right) continue;
    // The left symbol takes the joined token; the right one leaves the list.
    id[c.at] = c.result;
    id[after] = -1;
    next[c.at] = next[after];
    if (next[c.at] >= 0) prev[next[c.at]] = c.at;
    offer(prev[c.at]);
    offer(c.at);
  }
  for (int32_t i = n > 0 ? 0 : -1; i >= 0; i = next[i]) out.push_back(id[i]);
}

}  // namespace cs::data
