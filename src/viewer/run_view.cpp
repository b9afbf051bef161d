#include "viewer/run_view.h"

#include <cctype>

#include "core/error.h"
#include "viewer/api_error.h"

namespace cs::viewer {

RunView::RunView(const std::string& root, size_t cached_snapshots)
    : dir_(root), snapshots_(cached_snapshots) {
  CS_CHECK(dir_.is_run(), root << " is not a run folder (no " << file_name(File::config) << ")");
  // RunDir caches its configuration on first use; reading it here, before any request thread
  // exists, keeps that cache from being filled by two threads at once.
  dir_.config();
  tokenizer_ = dir_.tokenizer();
}

int64_t RunView::resolve(const std::string& which) const {
  const std::vector<int64_t> have = steps();
  auto listing = [&] {
    if (have.empty()) return std::string("it has no snapshots yet");
    return "it has " + std::to_string(have.size()) + " snapshots, steps " + std::to_string(have.front()) +
           " to " + std::to_string(have.back());
  };
  if (which.empty() || which == "last") {
    if (have.empty()) throw ApiError(404, "run '" + name() + "' has no snapshots yet");
    return have.back();
  }
  for (char c : which)
    if (!std::isdigit(static_cast<unsigned char>(c)) || which.size() > 18)
      throw ApiError(400, "snapshot must be a step number or \"last\", got \"" + which + "\"");
  const int64_t step = std::stoll(which);
  for (int64_t s : have)
    if (s == step) return step;
  throw ApiError(404, "run '" + name() + "' has no snapshot at step " + which + " (" + listing() + ")");
}

std::shared_ptr<const run::Snapshot> RunView::snapshot(int64_t step) const {
  return snapshots_.get(step, [&] { return dir_.snapshot(step); });
}

}  // namespace cs::viewer
