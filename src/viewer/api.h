#pragma once
// The viewer's JSON API (docs/viewer.md), independent of HTTP: each call takes what a request
// carries (a body, query parameters) and returns the response body, or throws ApiError with the
// status and message to answer. Safe to call from many request threads at once: snapshots,
// forward passes and head analyses are computed once and kept in LRU caches.
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "viewer/forward_view.h"
#include "viewer/head_view.h"
#include "viewer/lru.h"
#include "viewer/run_view.h"

namespace cs::viewer {

struct ApiOptions {
  size_t snapshot_cache = 4;  // snapshots in memory per run
  size_t forward_cache = 4;   // texts through snapshots, kept for hover requests
  size_t heads_cache = 8;     // head analyses (per run and snapshot)
  int max_positions = 1024;   // logit attributions in one forward request
  int virtual_heads = 12;     // listed per attribution
  HeadViewOptions heads;
};

using Query = std::map<std::string, std::string>;

class Api {
 public:
  // Every folder must be a run (cs::Error otherwise, before anything is served).
  explicit Api(const std::vector<std::string>& run_dirs, ApiOptions options = {});

  size_t n_runs() const { return runs_.size(); }
  const RunView& run(size_t i) const { return *runs_[i]; }

  nlohmann::ordered_json runs() const;                         // GET /api/runs
  nlohmann::ordered_json snapshots(const std::string& run) const;  // GET /api/run/{run}/snapshots
  nlohmann::ordered_json hooks(const std::string& run) const;      // GET /api/run/{run}/hooks
  nlohmann::ordered_json probes() const;                       // GET /api/probes
  std::string forward(const std::string& body) const;          // POST /api/forward
  nlohmann::ordered_json heads(const Query& q) const;          // GET /api/heads?run&snapshot
  nlohmann::ordered_json head(const Query& q) const;           // GET /api/head?run&snapshot&layer&head
  nlohmann::ordered_json icl(const Query& q) const;            // GET /api/icl?run
  nlohmann::ordered_json heads_over_training(const Query& q) const;  // GET /api/heads_over_training?run
  nlohmann::ordered_json head_kinds() const;                   // GET /api/head_kinds

  // A run by index ("0") or by folder name when that is unique; ApiError 404 otherwise.
  size_t find_run(const std::string& which) const;

 private:
  std::shared_ptr<const ForwardView> forward_view(size_t run, int64_t step, const std::string& text) const;
  std::shared_ptr<const HeadsView> heads_view(size_t run, int64_t step) const;

  ApiOptions options_;
  std::vector<std::unique_ptr<RunView>> runs_;
  // Head analyses take seconds and every core; one at a time leaves the machine to the forward
  // passes a page asks for while it waits.
  mutable std::mutex heavy_;
  mutable LruCache<std::string, ForwardView> forwards_;
  mutable LruCache<std::string, HeadsView> head_views_;
  mutable LruCache<std::string, nlohmann::ordered_json> run_curves_;
};

// Serialises a response, replacing any invalid UTF-8 rather than failing.
std::string dump(const nlohmann::ordered_json& j);
void append_base64(std::string& out, const unsigned char* data, size_t n);

}  // namespace cs::viewer
