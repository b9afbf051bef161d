#pragma once
// One run folder as the viewer sees it: configuration and tokenizer read once, snapshots loaded
// when first asked for and kept in a small LRU cache. A training still running beside the viewer
// keeps adding snapshots; every listing reads the folder again, so they appear as they are written.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/tokenizer.h"
#include "run/run_dir.h"
#include "viewer/lru.h"

namespace cs::viewer {

class RunView {
 public:
  // Fails (cs::Error) when ROOT is not a run folder or its tokenizer cannot be read.
  explicit RunView(const std::string& root, size_t cached_snapshots = 4);

  const run::RunDir& dir() const { return dir_; }
  const Config& cfg() const { return dir_.config().model; }
  const data::Tokenizer& tokenizer() const { return *tokenizer_; }
  std::string name() const { return dir_.name(); }
  std::vector<int64_t> steps() const { return dir_.snapshot_steps(); }

  // "last", "" or a step number -> a snapshot that exists; ApiError 404 otherwise, naming what
  // the run has.
  int64_t resolve(const std::string& which) const;
  std::shared_ptr<const run::Snapshot> snapshot(int64_t step) const;
  // Steps whose weights are in memory, most recently used first.
  std::vector<int64_t> cached_steps() const { return snapshots_.keys(); }

 private:
  run::RunDir dir_;
  std::unique_ptr<data::Tokenizer> tokenizer_;
  mutable LruCache<int64_t, run::Snapshot> snapshots_;
};

}  // namespace cs::viewer
