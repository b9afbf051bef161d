#pragma once
// Every head of one snapshot as the viewer's head panel shows it: kinds and evaluator scores
// (pipeline::heads), OV/QK eigenvalues and copying scores, top skip-trigrams and composition into
// later heads (pipeline::circuits on one ModelCircuits). Computed once per snapshot on
// first request; the server caches the result.
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analysis/head_kinds.h"
#include "data/tokenizer.h"
#include "run/run_dir.h"

namespace cs::viewer {

// The evaluators run with the defaults of `heads`, so that the panel shows the command line's numbers.
struct HeadViewOptions {
  int64_t n_sources = 200;      // skip-trigram sources: the most frequent training tokens
  int64_t skip_trigrams = 12;   // listed per head
  analysis::KindThresholds thresholds;  // the page names kinds with these too (GET /api/head_kinds)
};

class HeadsView {
 public:
  HeadsView(std::shared_ptr<const run::Snapshot> snapshot, const run::RunDir& run,
            const data::Tokenizer& tokenizer, const HeadViewOptions& options = {});

  int n_layers() const { return n_layers_; }
  int n_heads() const { return n_heads_; }
  // One head's panel (layer and head in range: the caller checks).
  const nlohmann::ordered_json& head(int layer, int head) const {
    return heads_[size_t(layer * n_heads_ + head)];
  }
  // Every head's kinds and scores, without eigenvalues, skip-trigrams or composition: the labels
  // of the thumbnail grid.
  nlohmann::ordered_json summary() const;
  // What every head's panel shares: thresholds, the composition baseline, notes.
  const nlohmann::ordered_json& common() const { return common_; }
  double seconds = 0;

 private:
  int n_layers_ = 0, n_heads_ = 0;
  std::vector<nlohmann::ordered_json> heads_;
  nlohmann::ordered_json common_;
};

}  // namespace cs::viewer
