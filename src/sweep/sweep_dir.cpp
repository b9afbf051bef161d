#include "sweep/sweep_dir.h"

#include <filesystem>

#include "core/error.h"
#include "data/gettext_corpus.h"
#include "data/prepare.h"
#include "io/atomic_file.h"
#include "run/run_dir.h"
#include "sweep/child.h"
#include "sweep/sweep_json.h"

namespace cs::sweep {

namespace {

namespace fs = std::filesystem;

// DIR as an absolute path without a trailing slash: runs are named by appending to it.
std::string absolute_root(const std::string& dir) {
  std::string root = fs::absolute(dir).lexically_normal().string();
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  return root;
}

}  // namespace

Sweep load_sweep(const std::string& dir) {
  const std::string path = (fs::path(dir) / file_name(File::sweep_plan)).string();
  CS_CHECK(fs::is_directory(dir),
           dir << " is not a folder (make a sweep with `circuitscope sweep plan --out " << dir << "`)");
  CS_CHECK(fs::exists(path), dir << " holds no sweep (" << file_name(File::sweep_plan)
                                 << " is missing; `circuitscope sweep plan --out " << dir << "` makes one)");
  Sweep s = parse_sweep(io::read_file(path), path);
  s.root = absolute_root(dir);
  return s;
}

void save_sweep(const Sweep& s) {
  io::write_file_atomic((fs::path(s.root) / file_name(File::sweep_plan)).string(), to_json(s).dump(2) + "\n");
}

Sweep create_sweep(const PlanRequest& q, const std::vector<TrainFlag>& known,
                   const std::function<void(const std::string&)>& log) {
  const double cpu_at_start = process_cpu_seconds();
  Sweep s = make_plan(q, known);
  CS_CHECK(!fs::exists(fs::path(q.out) / file_name(File::sweep_plan)),
           q.out << " already holds a sweep; `circuitscope sweep run " << q.out
                 << "` trains it, or plan into another folder");
  fs::create_directories(q.out);
  s.root = absolute_root(q.out);
  for (TokenFolder& t : s.tokens) {
    // A corpus given by path is recorded as it was found from here.
    for (std::string& c : t.prepare.corpus)
      if (!data::is_named_corpus(c)) c = fs::absolute(c).lexically_normal().string();
    data::PrepareOptions prepare = t.prepare;
    prepare.threads = q.threads;
    data::prepare_tokens_once(prepare, (fs::path(s.root) / t.folder).string(), log);
  }
  s.plan_cpu_seconds = process_cpu_seconds() - cpu_at_start;
  save_sweep(s);
  return s;
}

std::string sweep_path(const Sweep& s, File f, const std::string& name) {
  std::string rel = file_name(f);
  for (const char* slot : {"RUN", "VOCAB"})
    if (const size_t at = rel.find(slot); at != std::string::npos) rel.replace(at, std::string(slot).size(), name);
  return (fs::path(s.root) / rel).string();
}

std::string run_dir(const Sweep& s, const Run& r) { return (fs::path(s.root) / r.name).string(); }

bool is_sweep_folder(const std::string& dir) { return fs::is_regular_file(fs::path(dir) / file_name(File::sweep_plan)); }

std::vector<std::string> runs_with_snapshots(const Sweep& s) {
  std::vector<std::string> out;
  for (const Run& r : s.runs) {
    const run::RunDir run(run_dir(s, r));
    if (run.is_run() && !run.snapshot_steps().empty()) out.push_back(run.root());
  }
  return out;
}

RunState run_state(const Sweep& s, const Run& r) {
  const run::RunDir run(run_dir(s, r));
  if (!run.is_run()) return RunState::fresh;
  const auto evaluated = run.read_json(File::eval_snapshots);
  const auto steps = run.snapshot_steps();
  const int64_t target = run.config().train.steps;
  const bool last_evaluated = evaluated && evaluated->contains("steps") && !(*evaluated)["steps"].empty() &&
                              (*evaluated)["steps"].back() == target;
  if (!steps.empty() && steps.back() == target && last_evaluated) return RunState::finished;
  return run.has(File::state) ? RunState::resumable : RunState::restart;
}

std::vector<std::string> train_args(const Sweep& s, const Run& r, RunState state, int threads) {
  if (state == RunState::finished) return {};
  if (state == RunState::resumable) return {"--out", run_dir(s, r), "--resume"};
  std::vector<std::string> args = r.train;
  for (size_t i = 0; i + 1 < args.size(); ++i)
    if (args[i] == "--corpus" || args[i] == "--out") args[i + 1] = (fs::path(s.root) / args[i + 1]).string();
  if (state == RunState::restart) args.push_back("--force");
  if (threads > 0 && flag_value(r.train, "--threads").empty())
    args.insert(args.end(), {"--threads", std::to_string(threads)});
  return args;
}

}  // namespace cs::sweep
