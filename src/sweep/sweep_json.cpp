#include "sweep/sweep_json.h"

#include "core/error.h"
#include "core/json_integer.h"

namespace cs::sweep {

namespace {

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

Sweep parse_sweep(const std::string& text, const std::string& what) {
  json j;
  try {
    j = json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    fail(what + " is not valid JSON (byte " + std::to_string(e.byte) + "); it was cut short or edited by hand");
  } catch (const nlohmann::json::exception& e) {  // out_of_range: a number beyond double's range
    fail(what + " is not valid JSON (" + e.what() + ")");
  }
  return sweep_from_json(j, what);
}

}  // namespace cs::sweep
