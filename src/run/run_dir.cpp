#include "run/run_dir.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "data/tokenizer.h"
#include "data/tokens.h"
#include "io/atomic_file.h"
#include "io/npy.h"

namespace cs::run {

namespace fs = std::filesystem;

namespace {

nlohmann::json parse_json_file(const std::string& path) {
  nlohmann::json j = nlohmann::json::parse(io::read_file(path), nullptr, false);
  CS_CHECK(!j.is_discarded(), path << " is not valid JSON");
  return j;
}

std::vector<int64_t> integer_list(const nlohmann::json& j, const char* key, const std::string& path) {
  CS_CHECK(j.is_object() && j.contains(key) && j[key].is_array(), path << " has no '" << key << "' list");
  std::vector<int64_t> out;
  for (const auto& v : j[key]) {
    CS_CHECK(v.is_number_integer(), path << ": '" << key << "' holds a non-integer " << v.dump());
    out.push_back(v.get<int64_t>());
  }
  return out;
}

}  // namespace

EvalTokens EvalTokens::head(int64_t rows) const {
  EvalTokens e;
  e.n = std::min(rows, n);
  e.width = width;
  e.tokens.assign(tokens.begin(), tokens.begin() + e.n * width);
  return e;
}

std::vector<float> EvalLosses::per_token() const {
  std::vector<float> out(size_t(n_snapshots() * n_ctx), 0.f);
  for (int64_t s = 0; s < n_snapshots(); ++s)
    for (int64_t i = 0; i < n_eval; ++i)
      for (int64_t t = 0; t < n_ctx; ++t)
        out[size_t(s * n_ctx + t)] += per_sequence[size_t((s * n_eval + i) * n_ctx + t)] / float(n_eval);
  return out;
}

RunDir::RunDir(std::string root) : root_(std::move(root)) {
  root_ = fs::path(root_).lexically_normal().string();
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

std::string RunDir::name() const {
  const fs::path p(root_);
  return p.filename().empty() ? root_ : p.filename().string();
}

std::string RunDir::path(File f) const { return root_ + "/" + file_name(f); }

std::string RunDir::snapshot_path(int64_t step) const {
  char name[32];
  std::snprintf(name, sizeof name, "%09lld.safetensors", static_cast<long long>(step));
  return path(File::snapshots_dir) + "/" + name;
}

bool RunDir::has(File f) const {
  std::error_code ec;
  return fs::exists(path(f), ec);
}

const RunConfig& RunDir::config() const {
  if (!config_) {
    const std::string p = path(File::config);
    CS_CHECK(fs::exists(p), "no run in '" << root_ << "': " << p << " is missing");
    try {
      config_ = run_config_from_json(nlohmann::json::parse(io::read_file(p)));
    } catch (const nlohmann::json::exception& e) {
      fail(p + " is not a valid run configuration: " + e.what());
    }
  }
  return *config_;
}

std::unique_ptr<data::Tokenizer> RunDir::tokenizer() const { return data::load_tokenizer(root_); }

data::TokenStore RunDir::tokens() const { return data::TokenStore::open(path(File::tokens_dir)); }

std::vector<int64_t> RunDir::token_counts() const {
  const std::string p = path(File::tokens_dir) + "/" + file_name(File::token_counts);
  CS_CHECK(fs::exists(p), root_ << " has no " << file_name(File::tokens_dir) << "/"
                                << file_name(File::token_counts) << " (the training split's token counts)");
  std::vector<int64_t> counts = io::read_npy(p).to_int64();
  CS_CHECK(int64_t(counts.size()) <= config().model.d_vocab,
           p << " holds " << counts.size() << " counts for a vocabulary of " << config().model.d_vocab);
  // An imported model may have more embedding rows than its tokenizer has ids (Pythia: 50304 for
  // 50277); no text gives the rows past the tokenizer, so they count zero.
  counts.resize(size_t(config().model.d_vocab), 0);
  return counts;
}

EvalTokens RunDir::eval_tokens() const {
  const std::string p = path(File::eval_tokens);
  const io::NpyArray a = io::read_npy(p);
  CS_CHECK(a.shape.size() == 2 && a.shape[0] >= 1 && a.shape[1] >= 2,
           p << " must be [n_eval, n_ctx + 1] evaluation sequences");
  EvalTokens e;
  e.n = a.shape[0];
  e.width = a.shape[1];
  for (int64_t t : a.to_int64()) e.tokens.push_back(int32_t(t));
  return e;
}

std::vector<int64_t> RunDir::snapshot_steps() const {
  std::vector<int64_t> steps;
  const fs::path dir = path(File::snapshots_dir);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return steps;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string stem = e.path().stem().string();
    if (e.path().extension() != ".safetensors" || stem.empty() ||
        !std::all_of(stem.begin(), stem.end(), ::isdigit))
      continue;
    steps.push_back(std::stoll(stem));
  }
  std::sort(steps.begin(), steps.end());
  return steps;
}

int64_t RunDir::resolve_step(const std::string& which) const {
  const auto steps = snapshot_steps();
  CS_CHECK(!steps.empty(), "run '" << root_ << "' has no snapshots");
  if (which == "last" || which.empty()) return steps.back();
  CS_CHECK(which.find_first_not_of("0123456789") == std::string::npos && which.size() < 19,
           "a snapshot is a step number or 'last', got '" << which << "'");
  const int64_t step = std::stoll(which);
  CS_CHECK(std::binary_search(steps.begin(), steps.end(), step),
           "run '" << root_ << "' has no snapshot at step " << step);
  return step;
}

Snapshot RunDir::snapshot(int64_t step) const {
  const RunConfig& rc = config();
  Snapshot s{Params<float>(rc.model), {}};
  s.params = read_snapshot(snapshot_path(step), rc.model, &s.info, rc.run_id);
  return s;
}

EvalLosses RunDir::eval_losses() const {
  EvalLosses e;
  const std::string list = path(File::eval_snapshots), losses = path(File::per_sequence_loss);
  if (!fs::exists(list)) return e;
  const nlohmann::json j = parse_json_file(list);
  e.steps = integer_list(j, "steps", list);
  e.tokens = integer_list(j, "tokens", list);
  CS_CHECK(e.steps.size() == e.tokens.size(),
           list << " lists " << e.steps.size() << " steps but " << e.tokens.size() << " token counts");
  const io::NpyArray npy = io::read_npy(losses);
  CS_CHECK(npy.shape.size() == 3,
           losses << " must be [n_snapshots, n_eval, n_ctx], got " << npy.shape.size() << " dimensions");
  // The list is written last, so a kill between the files leaves the losses one snapshot ahead of
  // the list at most; the list decides.
  CS_CHECK(npy.shape[0] >= e.n_snapshots(),
           losses << " holds " << npy.shape[0] << " snapshots but " << list << " lists " << e.n_snapshots());
  e.n_eval = npy.shape[1];
  e.n_ctx = npy.shape[2];
  e.per_sequence = npy.to_float();
  e.per_sequence.resize(size_t(e.n_snapshots() * e.n_eval * e.n_ctx));
  return e;
}

LossLog RunDir::metrics() const {
  LossLog log;
  const std::string p = path(File::metrics);
  if (!fs::exists(p)) return log;
  const std::string text = io::read_file(p);
  size_t pos = 0;
  for (int line_no = 1; pos < text.size(); ++line_no) {
    const size_t end = text.find('\n', pos);
    const bool complete = end != std::string::npos;
    const std::string line = text.substr(pos, complete ? end - pos : std::string::npos);
    pos = complete ? end + 1 : text.size();
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() && !complete) break;  // a line the trainer is still writing
    CS_CHECK(j.is_object(), p << " line " << line_no << " is not a JSON object");
    if (!j.contains("loss")) continue;  // other kinds of records
    CS_CHECK(j["loss"].is_number() && j.contains("tokens") && j["tokens"].is_number_integer(),
             p << " line " << line_no << " needs a numeric 'loss' and an integer 'tokens'");
    log.steps.push_back(j.value("step", int64_t(0)));
    log.tokens.push_back(j["tokens"].get<int64_t>());
    log.loss.push_back(j["loss"].get<double>());
  }
  return log;
}

void RunDir::write_json(File f, const nlohmann::ordered_json& j) const {
  io::write_file_atomic(path(f), j.dump(2) + "\n");
}

std::optional<nlohmann::json> RunDir::read_json(File f) const {
  if (!has(f)) return std::nullopt;
  return parse_json_file(path(f));
}

void RunDir::write_npy(File f, const std::vector<double>& values, const std::vector<int64_t>& shape) const {
  io::write_npy(path(f), values.data(), shape);
}

std::string RunDir::analysis_dir() const {
  const std::string dir = path(File::analysis_dir);
  fs::create_directories(dir);
  return dir;
}

// ---- RunWriter ----

RunWriter RunWriter::staging(const std::string& root) {
  RunWriter w{RunDir(RunDir(root).root() + ".partial")};
  fs::remove_all(w.run_.root());
  fs::create_directories(w.run_.path(File::snapshots_dir));
  fs::create_directories(w.run_.path(File::eval_dir));
  return w;
}

void RunWriter::commit_to(const std::string& root) {
  const std::string dest = RunDir(root).root();
  fs::remove_all(dest);
  fs::rename(run_.root(), dest);
  run_ = RunDir(dest);
}

void RunWriter::write_config(const RunConfig& rc) const {
  io::write_file_atomic(run_.path(File::config), to_json(rc).dump(2) + "\n");
}

void RunWriter::write_eval_tokens(const std::vector<int32_t>& tokens, int64_t n, int64_t width) const {
  io::write_npy(run_.path(File::eval_tokens), tokens.data(), {n, width});
}

void RunWriter::write_snapshot(const Params<float>& params, const SnapshotInfo& info) const {
  run::write_snapshot(run_.snapshot_path(info.step), params, info);
}

void RunWriter::load_eval() {
  if (eval_loaded_) return;
  eval_ = run_.eval_losses();
  eval_loaded_ = true;
}

void RunWriter::append_eval(int64_t step, int64_t tokens, const std::vector<float>& per_sequence) {
  load_eval();
  // The evaluation windows' length: the model's n_ctx in training, possibly fewer in `eval`.
  const int64_t n_ctx = eval_.n_snapshots() ? eval_.n_ctx : run_.eval_tokens().width - 1;
  CS_CHECK(int64_t(per_sequence.size()) % n_ctx == 0, "evaluation losses are not whole sequences");
  if (eval_.n_snapshots() == 0) {
    eval_.n_ctx = n_ctx;
    eval_.n_eval = int64_t(per_sequence.size()) / n_ctx;
  }
  CS_CHECK(int64_t(per_sequence.size()) == eval_.n_eval * n_ctx,
           "evaluation losses of " << per_sequence.size() / n_ctx << " sequences, the run has " << eval_.n_eval);
  eval_.steps.push_back(step);
  eval_.tokens.push_back(tokens);
  eval_.per_sequence.insert(eval_.per_sequence.end(), per_sequence.begin(), per_sequence.end());
  const int64_t S = eval_.n_snapshots();
  const std::vector<float> per_token = eval_.per_token();
  io::write_npy(run_.path(File::per_token_loss), per_token.data(), {S, n_ctx});
  io::write_npy_f16(run_.path(File::per_sequence_loss), eval_.per_sequence.data(), {S, eval_.n_eval, n_ctx});
  io::write_npy(run_.path(File::eval_steps), eval_.steps.data(), {S});
  io::write_npy(run_.path(File::eval_tokens_seen), eval_.tokens.data(), {S});
  io::write_file_atomic(run_.path(File::eval_snapshots),
                        nlohmann::json{{"steps", eval_.steps}, {"tokens", eval_.tokens}}.dump() + "\n");
}

void RunWriter::append_metrics(const nlohmann::json& line) const {
  std::ofstream f(run_.path(File::metrics), std::ios::app);
  f << line.dump() << "\n";
}

void RunWriter::rewind_to(int64_t step) {
  load_eval();
  size_t keep = 0;
  while (keep < eval_.steps.size() && eval_.steps[keep] < step) ++keep;
  eval_.steps.resize(keep);
  eval_.tokens.resize(keep);
  eval_.per_sequence.resize(size_t(int64_t(keep) * eval_.n_eval * eval_.n_ctx));

  const std::string p = run_.path(File::metrics);
  if (!fs::exists(p)) return;
  std::ifstream in(p);
  std::string kept, line;
  while (std::getline(in, line)) {
    try {
      if (nlohmann::json::parse(line).at("step").get<int64_t>() <= step) kept += line + "\n";
    } catch (const std::exception&) {
      break;  // a line cut by a kill: everything after it is redone
    }
  }
  io::write_file_atomic(p, kept);
}

}  // namespace cs::run
