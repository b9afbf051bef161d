#include "cli/run_inputs.h"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "analysis/evaluators.h"
#include "core/error.h"
#include "io/atomic_file.h"
#include "io/npy.h"

namespace cs::cli {

namespace fs = std::filesystem;

RunSnapshot load_run_snapshot(const std::string& run_dir, const run::RunConfig& rc,
                              const std::string& which) {
  RunSnapshot s{Params<float>(rc.model), {}};
  s.params = run::read_snapshot(run::resolve_snapshot(run_dir, which), rc.model, &s.info, rc.run_id);
  return s;
}

EvalTokens EvalTokens::head(int64_t rows) const {
  EvalTokens e;
  e.n = std::min(rows, n);
  e.width = width;
  e.tokens.assign(tokens.begin(), tokens.begin() + e.n * width);
  return e;
}

EvalTokens read_eval_tokens(const std::string& run_dir) {
  const std::string path = (fs::path(run_dir) / "eval" / "tokens.npy").string();
  const io::NpyArray a = io::read_npy(path);
  CS_CHECK(a.shape.size() == 2 && a.shape[0] >= 1 && a.shape[1] >= 2,
           path << " must be [n_eval, n_ctx + 1] evaluation sequences");
  EvalTokens e;
  e.n = a.shape[0];
  e.width = a.shape[1];
  for (int64_t t : a.to_int64()) e.tokens.push_back(int32_t(t));
  return e;
}

std::vector<int64_t> run_token_counts(const std::string& run_dir, int64_t d_vocab) {
  const std::string path = (fs::path(run_dir) / "tokens" / "token_counts.npy").string();
  CS_CHECK(fs::exists(path), run_dir << " has no tokens/token_counts.npy (the training split's token counts)");
  const std::vector<int64_t> counts = io::read_npy(path).to_int64();
  CS_CHECK(int64_t(counts.size()) == d_vocab,
           path << " holds " << counts.size() << " counts for a vocabulary of " << d_vocab);
  return counts;
}

analysis::TokenPool evaluator_pool(const std::string& run_dir, const data::Tokenizer& tok) {
  return analysis::token_pool(run_token_counts(run_dir, tok.d_vocab()), tok.bos_id(), tok.kind() == "bytes");
}

analysis::IclPositions run_icl_positions(const std::string& run_dir, int64_t n_ctx) {
  analysis::IclOptions o;
  const std::string path = analysis_path(run_dir, "icl.json");
  if (fs::exists(path)) {
    const nlohmann::json j = nlohmann::json::parse(io::read_file(path), nullptr, false);
    auto window = [&](const char* key) -> std::optional<analysis::Window> {
      if (!j.is_object() || !j.contains(key) || !j[key].is_array() || j[key].size() != 2) return {};
      return analysis::Window{j[key][0].get<int64_t>(), j[key][1].get<int64_t>()};
    };
    o.early_window = window("early_window");
    o.late_window = window("late_window");
  }
  return analysis::resolve_positions(n_ctx, o);
}

SnapshotSeries::SnapshotSeries(const std::string& dir, const run::RunConfig& config)
    : run_dir(dir), rc(config), steps(run::list_snapshots(dir)), tokens(steps.size(), 0) {
  CS_CHECK(!steps.empty(), dir << " holds no snapshots");
}

Params<float> SnapshotSeries::load(int64_t i) {
  run::SnapshotInfo info;
  Params<float> p =
      run::read_snapshot(run::snapshot_path(run_dir, steps[size_t(i)]), rc.model, &info, rc.run_id);
  tokens[size_t(i)] = info.tokens;  // one writer per index
  return p;
}

std::string analysis_path(const std::string& run_dir, const std::string& name) {
  return (fs::path(run_dir) / "analysis" / name).string();
}

int default_threads() { return int(std::max(1u, std::thread::hardware_concurrency())); }

}  // namespace cs::cli
