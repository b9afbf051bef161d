#include "sweep/sweep_dir.h"

#include <filesystem>

#include "core/error.h"
#include "core/json_integer.h"
#include "data/gettext_corpus.h"
#include "data/prepare.h"
#include "io/atomic_file.h"
#include "run/run_dir.h"
#include "sweep/child.h"

namespace cs::sweep {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

constexpr const char* kFormat = "circuitscope-sweep";
constexpr int kVersion = 1;

json run_json(const Run& r) {
  json axes = json::object();
  for (const auto& [flag, value] : r.axes) axes[flag] = value;
  return {{"name", r.name},
          {"layers", r.layers},
          {"mlp", r.mlp},
          {"seed", r.seed},
          {"axes", axes},
          {"steps", r.steps},
          {"tokens_per_step", r.tokens_per_step},
          {"train", r.train},
          {"status", r.status},
          {"sessions", r.sessions},
          {"threads", r.threads},
          {"wall_seconds", r.wall_seconds},
          {"cpu_seconds", r.cpu_seconds},
          {"tokens_per_second", r.tokens_per_second},
          {"note", r.note}};
}

json session_json(const Session& x) {
  return {{"started", x.started},
          {"jobs", x.jobs},
          {"cores", x.cores},
          {"wall_seconds", x.wall_seconds},
          {"runs_cpu_seconds", x.runs_cpu_seconds},
          {"own_cpu_seconds", x.own_cpu_seconds}};
}

json tokens_json(const TokenFolder& t) {
  return {{"folder", t.folder},
          {"corpus", t.prepare.corpus},
          {"d_vocab", t.prepare.d_vocab},
          {"bytes", t.prepare.bytes},
          {"eval_fraction", t.prepare.eval_fraction},
          {"seed", t.prepare.seed}};
}

// Field `key` of `o` as a T; `what` names the object in the error (e.g. "sweep.json: runs[2]").
template <class T>
T field(const json& o, const char* key, const std::string& what, const char* kind) {
  CS_CHECK(o.is_object() && o.contains(key), what << ": '" << key << "' is missing");
  const json& v = o.at(key);
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    return json_integer<T>(v, what + ": " + key);
  } else {
    try {
      return v.get<T>();
    } catch (const nlohmann::json::exception&) {
      fail(what + ": '" + key + "' is not " + kind + " (" + v.dump() + ")");
    }
  }
}

Run run_from_json(const json& j, const std::string& what) {
  Run r;
  r.name = field<std::string>(j, "name", what, "a string");
  CS_CHECK(!r.name.empty() && r.name.find('/') == std::string::npos && r.name[0] != '.',
           what << ": '" << r.name << "' is not a folder name");
  r.layers = field<int>(j, "layers", what, "an integer");
  r.mlp = field<bool>(j, "mlp", what, "true or false");
  r.seed = field<uint64_t>(j, "seed", what, "an integer");
  const json axes = field<json>(j, "axes", what, "an object");
  CS_CHECK(axes.is_object(), what << ": 'axes' is not an object");
  for (const auto& [flag, value] : axes.items()) {
    CS_CHECK(value.is_string(), what << ": axes: '" << flag << "' is not a string");
    r.axes.push_back({flag, value.get<std::string>()});
  }
  r.steps = field<int64_t>(j, "steps", what, "an integer");
  r.tokens_per_step = field<int64_t>(j, "tokens_per_step", what, "an integer");
  r.train = field<std::vector<std::string>>(j, "train", what, "a list of strings");
  CS_CHECK(flag_value(r.train, "--out") == r.name, what << ": its train flags do not say --out " << r.name);
  CS_CHECK(r.steps > 0 && r.tokens_per_step > 0, what << ": steps and tokens_per_step must be positive");
  r.status = field<std::string>(j, "status", what, "a string");
  r.sessions = field<int>(j, "sessions", what, "an integer");
  r.threads = field<int>(j, "threads", what, "an integer");
  r.wall_seconds = field<double>(j, "wall_seconds", what, "a number");
  r.cpu_seconds = field<double>(j, "cpu_seconds", what, "a number");
  r.tokens_per_second = field<double>(j, "tokens_per_second", what, "a number");
  r.note = field<std::string>(j, "note", what, "a string");
  return r;
}

Session session_from_json(const json& j, const std::string& what) {
  Session x;
  x.started = field<std::string>(j, "started", what, "a string");
  x.jobs = field<int>(j, "jobs", what, "an integer");
  x.cores = field<int>(j, "cores", what, "an integer");
  x.wall_seconds = field<double>(j, "wall_seconds", what, "a number");
  x.runs_cpu_seconds = field<double>(j, "runs_cpu_seconds", what, "a number");
  x.own_cpu_seconds = field<double>(j, "own_cpu_seconds", what, "a number");
  return x;
}

TokenFolder tokens_from_json(const json& j, const std::string& what) {
  TokenFolder t;
  t.folder = field<std::string>(j, "folder", what, "a string");
  t.prepare.corpus = field<std::vector<std::string>>(j, "corpus", what, "a list of strings");
  t.prepare.d_vocab = field<int>(j, "d_vocab", what, "an integer");
  t.prepare.bytes = field<bool>(j, "bytes", what, "true or false");
  t.prepare.eval_fraction = field<double>(j, "eval_fraction", what, "a number");
  t.prepare.seed = field<uint64_t>(j, "seed", what, "an integer");
  return t;
}

Sweep sweep_from_json(const json& j, const std::string& what) {
  CS_CHECK(j.is_object() && j.value("format", "") == kFormat,
           what << " is not a sweep plan (no \"format\": \"" << kFormat << "\")");
  CS_CHECK(field<int>(j, "version", what, "an integer") == kVersion,
           what << ": version " << j.at("version") << " is not one this circuitscope reads (" << kVersion << ")");
  Sweep s;
  s.created = field<std::string>(j, "created", what, "a string");
  s.grid = field<json>(j, "grid", what, "an object");
  const auto tokens = field<std::vector<json>>(j, "tokens", what, "a list");
  for (size_t i = 0; i < tokens.size(); ++i)
    s.tokens.push_back(tokens_from_json(tokens[i], what + ": tokens[" + std::to_string(i) + "]"));
  const auto runs = field<std::vector<json>>(j, "runs", what, "a list");
  CS_CHECK(!runs.empty(), what << " holds no runs");
  for (size_t i = 0; i < runs.size(); ++i)
    s.runs.push_back(run_from_json(runs[i], what + ": runs[" + std::to_string(i) + "]"));
  // Sweeps planned before these were recorded have neither.
  s.plan_cpu_seconds = j.contains("plan_cpu_seconds") ? field<double>(j, "plan_cpu_seconds", what, "a number") : 0;
  const auto sessions = j.contains("sessions") ? field<std::vector<json>>(j, "sessions", what, "a list")
                                               : std::vector<json>{};
  for (size_t i = 0; i < sessions.size(); ++i)
    s.sessions.push_back(session_from_json(sessions[i], what + ": sessions[" + std::to_string(i) + "]"));
  s.results = j.contains("results") ? j.at("results") : json(nullptr);
  return s;
}

// DIR as an absolute path without a trailing slash: runs are named by appending to it.
std::string absolute_root(const std::string& dir) {
  std::string root = fs::absolute(dir).lexically_normal().string();
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  return root;
}

}  // namespace

json to_json(const Sweep& s) {
  json tokens = json::array(), runs = json::array(), sessions = json::array();
  for (const TokenFolder& t : s.tokens) tokens.push_back(tokens_json(t));
  for (const Run& r : s.runs) runs.push_back(run_json(r));
  for (const Session& x : s.sessions) sessions.push_back(session_json(x));
  return {{"format", kFormat},    {"version", kVersion},
          {"created", s.created}, {"paths", "each run's --corpus and --out are relative to this folder"},
          {"grid", s.grid},       {"tokens", tokens},
          {"runs", runs},         {"plan_cpu_seconds", s.plan_cpu_seconds},
          {"sessions", sessions}, {"results", s.results}};
}

Sweep load_sweep(const std::string& dir) {
  const std::string path = (fs::path(dir) / file_name(File::sweep_plan)).string();
  CS_CHECK(fs::is_directory(dir),
           dir << " is not a folder (make a sweep with `circuitscope sweep plan --out " << dir << "`)");
  CS_CHECK(fs::exists(path), dir << " holds no sweep (" << file_name(File::sweep_plan)
                                 << " is missing; `circuitscope sweep plan --out " << dir << "` makes one)");
  json j;
  try {
    j = json::parse(io::read_file(path));
  } catch (const nlohmann::json::parse_error& e) {
    fail(path + " is not valid JSON (byte " + std::to_string(e.byte) + "); it was cut short or edited by hand");
  }
  Sweep s = sweep_from_json(j, path);
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
