#include "sweep/plan.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "core/error.h"
#include "core/files.h"
#include "core/format.h"
#include "pipeline/demo_recipe.h"
#include "run/run_config.h"

namespace cs::sweep {

namespace {

// A train flag as given to `sweep plan`: a switch, or one or more values (a comma list).
struct GivenFlag {
  std::string name;
  std::vector<std::string> values;
  bool is_switch = false;
};
using Given = std::vector<GivenFlag>;

// Flags the sweep sets itself, and what to give instead.
const std::pair<const char*, const char*> kReserved[] = {
    {"--out", "the sweep names each run's folder inside its own --out"},
    {"--n-layers", "give the depths with --layers"},
    {"--seed", "give the seeds with --seeds"},
    {"--resume", "`sweep run` resumes interrupted runs itself"},
    {"--force", "a sweep never replaces a run"},
};

// Flags that shape the token folder the runs share rather than each run.
bool is_token_flag(const std::string& f) {
  return f == "--corpus" || f == "--bytes" || f == "--d-vocab" || f == "--eval-fraction";
}
// Flags that only runs with MLP blocks get.
bool is_mlp_flag(const std::string& f) { return f == "--d-mlp" || f == "--act-fn"; }

const GivenFlag* find(const Given& given, const std::string& name) {
  for (const GivenFlag& g : given)
    if (g.name == name) return &g;
  return nullptr;
}

std::vector<std::string> split_commas(const std::string& flag, const std::string& text) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    const size_t comma = text.find(',', start);
    parts.push_back(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    CS_CHECK(!parts.back().empty(), "sweep plan: " << flag << " '" << text << "': an empty value in the list");
    if (comma == std::string::npos) return parts;
    start = comma + 1;
  }
}

// One flag of the command line at args[i] (and its value), advancing i.
GivenFlag take_flag(const std::vector<std::string>& args, size_t& i, const std::vector<TrainFlag>& known) {
  std::string name = args[i], value;
  const size_t eq = name.find('=');
  const bool inline_value = eq != std::string::npos;
  if (inline_value) value = name.substr(eq + 1), name = name.substr(0, eq);
  CS_CHECK(name.rfind("--", 0) == 0, "sweep plan: '" << args[i] << "' is not a flag (train flags start with --)");
  for (const auto& [reserved, instead] : kReserved)
    CS_CHECK(name != reserved, "sweep plan: " << name << " is set by the sweep: " << instead);
  const auto it = std::find_if(known.begin(), known.end(), [&](const TrainFlag& f) { return f.name == name; });
  CS_CHECK(it != known.end(),
           "sweep plan: unknown flag " << name << " (`circuitscope train --help` lists train's flags)");
  GivenFlag g{name, {}, !it->takes_value};
  if (g.is_switch) {
    CS_CHECK(!inline_value, "sweep plan: " << name << " takes no value");
    return g;
  }
  if (!inline_value) {
    CS_CHECK(i + 1 < args.size() && args[i + 1].rfind("--", 0) != 0, "sweep plan: " << name << " needs a value");
    value = args[++i];
  }
  // A corpus path may hold a comma; corpora are mixed by giving --corpus again, as for `tokenize`.
  g.values = name == "--corpus" ? std::vector<std::string>{value} : split_commas(name, value);
  return g;
}

Given parse_train_args(const std::vector<std::string>& args, const std::vector<TrainFlag>& known) {
  Given given;
  for (size_t i = 0; i < args.size(); ++i) {
    GivenFlag g = take_flag(args, i, known);
    const auto seen = std::find_if(given.begin(), given.end(), [&](const GivenFlag& o) { return o.name == g.name; });
    if (seen == given.end()) {
      given.push_back(std::move(g));
      continue;
    }
    CS_CHECK(g.name == "--corpus", "sweep plan: " << g.name << " given twice (a comma list gives several values)");
    seen->values.push_back(g.values[0]);
  }
  CS_CHECK(!(find(given, "--bytes") && find(given, "--d-vocab")),
           "sweep plan: --bytes and --d-vocab exclude each other");
  CS_CHECK(!(find(given, "--steps") && find(given, "--tokens")), "sweep plan: --steps and --tokens exclude each other");
  if (const GivenFlag* g = find(given, "--eval-fraction"))
    CS_CHECK(g->values.size() == 1,
             "sweep plan: --eval-fraction takes one value (it shapes the tokens every run shares)");
  return given;
}

// The demo's quick recipe (docs/demo.md) as train flags: what a sweep trains unless told otherwise.
std::vector<std::pair<std::string, std::string>> recipe_flags() {
  const pipeline::DemoRecipe& r = pipeline::demo_recipe(false);
  return {{"--d-model", std::to_string(r.d_model)},
          {"--n-heads", std::to_string(r.n_heads)},
          {"--d-head", std::to_string(r.d_head)},
          {"--n-ctx", std::to_string(r.n_ctx)},
          {"--positions", r.positions},
          {"--normalization", r.normalization},
          {"--batch", std::to_string(r.batch)},
          {"--lr", format("%g", r.lr)},
          {"--warmup", std::to_string(r.warmup)},
          {"--steps", std::to_string(r.steps)},
          {"--snapshots", std::to_string(r.snapshots)},
          {"--eval-count", std::to_string(r.n_eval)}};
}

int64_t whole_number(const std::string& flag, const std::string& text) {
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  CS_CHECK(ec == std::errc() && end == text.data() + text.size() && v > 0,
           "sweep plan: " << flag << " '" << text << "' is not a positive whole number");
  return v;
}

// A flag given several values: one dimension of the grid.
struct Axis {
  std::string flag;
  std::vector<std::string> values;
};

std::vector<Axis> grid_axes(const Given& given) {
  std::vector<Axis> axes;
  for (const GivenFlag& g : given)
    if (g.name != "--corpus" && g.values.size() > 1) axes.push_back({g.name, g.values});
  return axes;
}

// One point of the grid: depth, MLP or not, seed, and a value index per axis.
struct Point {
  int layers = 0;
  bool mlp = false;
  uint64_t seed = 0;
  std::vector<size_t> at;
};

// What the run at `p` sets each valued flag to.
std::vector<std::pair<std::string, std::string>> values_at(const Point& p, const std::vector<Axis>& axes,
                                                           const Given& given) {
  std::vector<std::pair<std::string, std::string>> values;
  for (const GivenFlag& g : given)
    if (!g.is_switch && g.name != "--corpus") values.push_back({g.name, g.values[0]});
  for (size_t k = 0; k < axes.size(); ++k)
    for (auto& [flag, value] : values)
      if (flag == axes[k].flag) value = axes[k].values[p.at[k]];
  return values;
}

// ("--lr", "1e-3") -> "lr1e-3"; anything a folder name should not hold becomes '_'.
std::string name_part(const std::string& flag, const std::string& value) {
  std::string key;
  for (char c : flag.substr(2))
    if (c != '-') key += c;
  for (char c : value) key += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '+' ? c : '_';
  return key;
}

double number(const std::string& flag, const std::string& text) {
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  CS_CHECK(ec == std::errc() && end == text.data() + text.size(),
           "sweep plan: " << flag << " '" << text << "' is not a number");
  return v;
}

// The token folder of the run whose valued flags are `values`: one per vocabulary, named by it.
TokenFolder tokens_for(const std::vector<std::pair<std::string, std::string>>& values, const Given& given,
                       uint64_t seed) {
  TokenFolder f;
  const GivenFlag* corpus = find(given, "--corpus");
  f.prepare.corpus = corpus ? corpus->values : pipeline::demo_recipe(false).corpora;
  f.prepare.bytes = find(given, "--bytes") != nullptr;
  f.prepare.d_vocab = f.prepare.bytes ? 257 : pipeline::demo_recipe(false).d_vocab;
  f.prepare.seed = seed;
  for (const auto& [flag, value] : values) {
    if (flag == "--d-vocab") f.prepare.d_vocab = int(whole_number(flag, value));
    if (flag == "--eval-fraction") f.prepare.eval_fraction = number(flag, value);
  }
  f.folder = file_name(File::sweep_tokens);
  f.folder.replace(f.folder.find("VOCAB"), 5, f.prepare.bytes ? "bytes" : "v" + std::to_string(f.prepare.d_vocab));
  return f;
}

// The train flags of the run at `p`: the sweep's own, the recipe's overridden by what was given,
// the other flags given, and for MLP runs the blocks' size and activation.
std::vector<std::string> train_flags(const Point& p, const std::string& name, const std::string& tokens,
                                     const std::vector<std::pair<std::string, std::string>>& values,
                                     const Given& given) {
  std::vector<std::string> t = {
      "--corpus", tokens, "--out", name, "--n-layers", std::to_string(p.layers), "--seed", std::to_string(p.seed)};
  const auto value = [&](const std::string& flag) -> const std::string* {
    for (const auto& v : values)
      if (v.first == flag) return &v.second;
    return nullptr;
  };
  const auto recipe = recipe_flags();
  for (const auto& [flag, standard] : recipe) {
    if (flag == "--steps" && find(given, "--tokens")) continue;
    t.insert(t.end(), {flag, value(flag) ? *value(flag) : standard});
  }
  const auto in_recipe = [&](const std::string& f) {
    return std::any_of(recipe.begin(), recipe.end(), [&](const auto& r) { return r.first == f; });
  };
  for (const GivenFlag& g : given) {
    if (is_token_flag(g.name) || in_recipe(g.name) || (is_mlp_flag(g.name) && !p.mlp)) continue;
    t.push_back(g.name);
    if (!g.is_switch) t.push_back(*value(g.name));
  }
  if (p.mlp && !value("--d-mlp"))
    t.insert(t.end(), {"--d-mlp", std::to_string(4 * whole_number("--d-model", flag_value(t, "--d-model")))});
  if (p.mlp && !value("--act-fn")) t.insert(t.end(), {"--act-fn", "gelu"});
  return t;
}

Run make_run(const Point& p, const std::vector<Axis>& axes, const Given& given, const std::string& token_folder) {
  Run r;
  r.layers = p.layers;
  r.mlp = p.mlp;
  r.seed = p.seed;
  r.name = format("l%d-%s-s%llu", p.layers, p.mlp ? "mlp" : "attn", static_cast<unsigned long long>(p.seed));
  for (size_t k = 0; k < axes.size(); ++k) {
    if (is_mlp_flag(axes[k].flag) && !p.mlp) continue;
    r.axes.push_back({axes[k].flag, axes[k].values[p.at[k]]});
    r.name += "-" + name_part(axes[k].flag, axes[k].values[p.at[k]]);
  }
  r.train = train_flags(p, r.name, token_folder, values_at(p, axes, given), given);
  const int64_t batch = whole_number("--batch", flag_value(r.train, "--batch"));
  const int64_t n_ctx = whole_number("--n-ctx", flag_value(r.train, "--n-ctx"));
  r.tokens_per_step = batch * n_ctx;
  if (const std::string threads = flag_value(r.train, "--threads"); !threads.empty())
    whole_number("--threads", threads);
  const std::string budget = flag_value(r.train, "--tokens");
  r.steps = budget.empty() ? whole_number("--steps", flag_value(r.train, "--steps"))
                           : run::steps_for_tokens(whole_number("--tokens", budget), int(batch), int(n_ctx));
  return r;
}

// Every point of the grid: depths, then MLP or not, then the other axes (the first given varying
// slowest), then seeds. Runs without MLP blocks take the first value of an MLP-only axis, once.
std::vector<Point> grid_points(const PlanRequest& q, const std::vector<Axis>& axes) {
  std::vector<Point> points;
  for (int layers : q.layers)
    for (bool mlp : q.mlp) {
      std::vector<size_t> at(axes.size(), 0);
      for (bool more = true; more;) {
        bool skip = false;
        for (size_t k = 0; k < axes.size(); ++k) skip = skip || (!mlp && is_mlp_flag(axes[k].flag) && at[k] > 0);
        if (!skip)
          for (uint64_t seed : q.seeds) points.push_back({layers, mlp, seed, at});
        more = false;
        for (size_t k = axes.size(); k-- > 0 && !more;) {
          more = ++at[k] < axes[k].values.size();
          if (!more) at[k] = 0;
        }
      }
    }
  return points;
}

nlohmann::ordered_json grid_json(const PlanRequest& q, const std::vector<Axis>& axes) {
  nlohmann::ordered_json mlp = nlohmann::ordered_json::array(), other = nlohmann::ordered_json::object();
  for (bool m : q.mlp) mlp.push_back(m ? "yes" : "no");
  for (const Axis& a : axes) other[a.flag] = a.values;
  return {{"layers", q.layers}, {"mlp", mlp}, {"seeds", q.seeds}, {"axes", other}, {"train", q.train_args}};
}

}  // namespace

Sweep make_plan(const PlanRequest& q, const std::vector<TrainFlag>& known) {
  CS_CHECK(!q.layers.empty() && !q.mlp.empty() && !q.seeds.empty(),
           "sweep plan: --layers, --mlp and --seeds need a value each");
  const auto knows = [&](const char* f) {
    return std::any_of(known.begin(), known.end(), [&](const TrainFlag& k) { return k.name == f; });
  };
  CS_CHECK(std::find(q.mlp.begin(), q.mlp.end(), true) == q.mlp.end() || (knows("--d-mlp") && knows("--act-fn")),
           "sweep plan: --mlp yes needs train's --d-mlp and --act-fn, which this build's train does not have");
  const Given given = parse_train_args(q.train_args, known);
  const std::vector<Axis> axes = grid_axes(given);
  Sweep s;
  s.root = q.out;
  s.created = utc_now();
  s.grid = grid_json(q, axes);
  for (const Point& p : grid_points(q, axes)) {
    const TokenFolder tokens = tokens_for(values_at(p, axes, given), given, q.seeds.front());
    if (std::none_of(s.tokens.begin(), s.tokens.end(), [&](const TokenFolder& f) { return f.folder == tokens.folder; }))
      s.tokens.push_back(tokens);
    s.runs.push_back(make_run(p, axes, given, tokens.folder));
    for (size_t i = 0; i + 1 < s.runs.size(); ++i)
      CS_CHECK(s.runs[i].name != s.runs.back().name,
               "sweep plan: two runs would share the folder " << s.runs[i].name << "; give each value of a list once");
  }
  return s;
}

}  // namespace cs::sweep
