#pragma once
// A run folder, read and written through one object: the only code that knows where a run keeps
// its configuration, tokens, snapshots, evaluation losses, metrics and analyses (file names in
// core/files.h, layout in docs/run-folder.md). Readers check what they read and fail with one line
// naming the file; writers write to a temporary file and rename it into place.
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/files.h"
#include "model/params.h"
#include "run/run_config.h"
#include "run/snapshot.h"

namespace cs::data {
class Tokenizer;
class TokenStore;
}  // namespace cs::data

namespace cs::run {

// The held-out evaluation sequences: [n, width] tokens, width = n_ctx + 1.
struct EvalTokens {
  std::vector<int32_t> tokens;
  int64_t n = 0, width = 0;
  // The first `rows` sequences (all when rows exceeds n).
  EvalTokens head(int64_t rows) const;
};

// The per-token evaluation loss of every evaluated snapshot.
struct EvalLosses {
  std::vector<int64_t> steps, tokens;  // [n_snapshots]
  std::vector<float> per_sequence;     // [n_snapshots, n_eval, n_ctx]
  int64_t n_eval = 0, n_ctx = 0;
  int64_t n_snapshots() const { return int64_t(steps.size()); }
  // [n_snapshots, n_ctx]: the mean over sequences.
  std::vector<float> per_token() const;
};

// The logged training loss.
struct LossLog {
  std::vector<int64_t> steps, tokens;
  std::vector<double> loss;
};

// Weights of one snapshot and where they came from.
struct Snapshot {
  Params<float> params;
  SnapshotInfo info;
};

class RunDir {
 public:
  // A folder that holds (or will hold) a run; nothing is read yet.
  explicit RunDir(std::string root);

  const std::string& root() const { return root_; }
  // The folder's name, to label the run in tables and pictures.
  std::string name() const;
  std::string path(File f) const;
  std::string snapshot_path(int64_t step) const;
  bool has(File f) const;
  bool is_run() const { return has(File::config); }

  // config.json, read once and kept.
  const RunConfig& config() const;
  std::unique_ptr<data::Tokenizer> tokenizer() const;
  data::TokenStore tokens() const;
  // [d_vocab] how often each token occurs in the training split.
  std::vector<int64_t> token_counts() const;
  EvalTokens eval_tokens() const;

  // Steps of the snapshots present, ascending.
  std::vector<int64_t> snapshot_steps() const;
  // "last" (or "") or a step number -> that snapshot's step; an error when it is absent.
  int64_t resolve_step(const std::string& which) const;
  // A snapshot written by another run is an error.
  Snapshot snapshot(int64_t step) const;
  Snapshot snapshot(const std::string& which) const { return snapshot(resolve_step(which)); }

  // Evaluation losses of the snapshots so far; empty before the first.
  EvalLosses eval_losses() const;
  // Empty when the run has logged nothing yet. A last line cut by a kill is skipped.
  LossLog metrics() const;

  // Analyses: JSON written atomically into analysis/, read back when present.
  void write_json(File f, const nlohmann::ordered_json& j) const;
  std::optional<nlohmann::json> read_json(File f) const;
  void write_npy(File f, const std::vector<double>& values, const std::vector<int64_t>& shape) const;
  // The folder that pictures of this run go into (created).
  std::string analysis_dir() const;

 private:
  std::string root_;
  mutable std::optional<RunConfig> config_;
};

// What training writes into a run folder, in the order it happens. The folder is made in
// ROOT.partial and renamed into place by `commit`, so a failed setup leaves nothing behind.
class RunWriter {
 public:
  explicit RunWriter(RunDir run) : run_(std::move(run)) {}
  const RunDir& run() const { return run_; }

  // A new run: the staging folder, to fill (tokens, tokenizer, eval tokens, config) and commit.
  static RunWriter staging(const std::string& root);
  void commit_to(const std::string& root);

  void write_config(const RunConfig& rc) const;
  void write_eval_tokens(const std::vector<int32_t>& tokens, int64_t n, int64_t width) const;
  void write_snapshot(const Params<float>& params, const SnapshotInfo& info) const;
  // Adds one snapshot's per-sequence losses [n_eval, n_ctx] and rewrites the eval arrays;
  // the list of snapshots is written last, so a kill leaves the arrays ahead of it at most.
  void append_eval(int64_t step, int64_t tokens, const std::vector<float>& per_sequence);
  void append_metrics(const nlohmann::json& line) const;
  // On resume: drops what came after `step` (evaluations of later snapshots, metrics lines).
  void rewind_to(int64_t step);

 private:
  RunDir run_;
  EvalLosses eval_;
  bool eval_loaded_ = false;
  void load_eval();
};

}  // namespace cs::run
