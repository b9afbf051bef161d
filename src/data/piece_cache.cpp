#include "data/piece_cache.h"

#include <atomic>

namespace cs::data {

namespace {

// Longer pieces rarely repeat; 64 Ki entries hold a corpus's frequent pieces in a few MB.
constexpr size_t kLongestPiece = 64;
constexpr size_t kEntries = size_t(1) << 16;

std::atomic<uint64_t> next_owner{1};

}  // namespace

PieceCache::PieceCache() : owner_(next_owner++) {}

PieceCache::Map& PieceCache::map() const {
  thread_local uint64_t owner = 0;
  thread_local Map ids;
  if (owner != owner_) {
    ids.clear();
    owner = owner_;
  }
  return ids;
}

bool PieceCache::find(std::string_view piece, std::vector<int32_t>& out) const {
  if (piece.size() > kLongestPiece) return false;
  const Map& ids = map();
  const auto it = ids.find(piece);
  if (it == ids.end()) return false;
  out.insert(out.end(), it->second.begin(), it->second.end());
  return true;
}

void PieceCache::insert(std::string_view piece, std::vector<int32_t> ids) const {
  if (piece.size() > kLongestPiece) return;
  Map& m = map();
  if (m.size() < kEntries) m.emplace(piece, std::move(ids));
}

}  // namespace cs::data
