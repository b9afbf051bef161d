// analysis/icl.json and the run's ICL settings, written and read back.
#include <cmath>
#include <limits>

#include "analysis/icl.h"
#include "core/error.h"
#include "core/json_integer.h"

namespace cs::analysis {

namespace {

// JSON has no NaN: undefined values (stderr of one sequence, log-axis values at tokens == 0)
// become null so every array keeps one entry per snapshot.
nlohmann::ordered_json number(double x) {
  return std::isfinite(x) ? nlohmann::ordered_json(x) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json numbers(const std::vector<double>& v) {
  nlohmann::ordered_json a = nlohmann::ordered_json::array();
  for (double x : v) a.push_back(number(x));
  return a;
}

nlohmann::ordered_json window_json(const Window& w) {
  return nlohmann::ordered_json::array({w.first, w.last});
}

}  // namespace

nlohmann::ordered_json IclResult::to_json() const {
  nlohmann::ordered_json j;
  j["steps"] = steps;
  j["tokens"] = tokens;
  j["icl_score"] = numbers(icl_score);
  j["icl_stderr"] = numbers(icl_stderr);
  j["early_window"] = window_json(positions.early_window);
  j["late_window"] = window_json(positions.late_window);
  if (phase_change) {
    const PhaseChange& p = *phase_change;
    j["phase_change"] = {{"start_tokens", p.start_tokens},
                         {"end_tokens", p.end_tokens},
                         {"delta_nats", p.delta_nats},
                         {"start_step", p.start_step},
                         {"end_step", p.end_step},
                         {"start_snapshot", p.start_snapshot},
                         {"end_snapshot", p.end_snapshot},
                         {"steepest_tokens", p.steepest_tokens},
                         {"steepest_derivative", p.steepest_derivative}};
  } else {
    j["phase_change"] = nullptr;
  }
  j["final_icl_score"] =
      icl_score.empty() ? nlohmann::ordered_json(nullptr) : number(icl_score.back());
  j["final_icl_stderr"] =
      icl_stderr.empty() ? nlohmann::ordered_json(nullptr) : number(icl_stderr.back());
  j["early_loss"] = numbers(early_loss);
  j["late_loss"] = numbers(late_loss);
  j["icl_score_smoothed"] = numbers(icl_score_smoothed);
  j["d_icl_d_logtokens"] = numbers(d_icl_d_logtokens);
  j["d2_icl_d_logtokens2"] = numbers(d2_icl_d_logtokens2);
  j["parameters"] = {
      {"early_index", positions.early_index},
      {"late_index", positions.late_index},
      {"early_window", window_json(positions.early_window)},
      {"late_window", window_json(positions.late_window)},
      {"defaults_scaled_to_n_ctx", positions.defaults_scaled},
      {"n_ctx", n_ctx},
      {"n_eval", n_eval},
      {"n_snapshots", int64_t(steps.size())},
      {"sigma_snapshots", sigma_snapshots},
      {"min_drop_nats", min_drop_nats},
      {"search_from_step", search_from_step},
      {"loss_unit", "nats"},
      {"score",
       "mean over sequences of (mean loss over late_window - mean loss over early_window)"},
      {"smoothing",
       "Gaussian over snapshot index, sigma_snapshots; near the ends a "
       "Gaussian-weighted line fit"},
      {"derivative_axis", "ln(tokens); snapshots with tokens == 0 are null"},
      {"window_rule",
       "span around the most negative derivative of the smoothed score where the derivative is "
       "<= half that minimum, among snapshots from search_from_step on (default: the end of the "
       "learning-rate warm-up); reported if the smoothed score falls by >= min_drop_nats across it"},
  };
  return j;
}

namespace {

std::vector<double> doubles(const nlohmann::json& j) {
  std::vector<double> v;
  for (const auto& x : j) v.push_back(x.is_null() ? std::numeric_limits<double>::quiet_NaN() : x.get<double>());
  return v;
}

// Integers through json_integer: a float where an integer belongs (1e300) is an error, not a cast.
template <class T>
void read_integer(const nlohmann::json& j, const char* key, T& out) {
  out = json_integer<T>(j.at(key), key);
}

std::vector<int64_t> integers(const nlohmann::json& j, const char* key) {
  const nlohmann::json& v = j.at(key);
  CS_CHECK(v.is_array(), key << " is not a list");
  std::vector<int64_t> out;
  for (const nlohmann::json& x : v) out.push_back(json_integer<int64_t>(x, key));
  return out;
}

Window window(const nlohmann::json& j) {
  CS_CHECK(j.is_array() && j.size() == 2, "a window is two positions, got " << j.dump());
  return {json_integer<int64_t>(j[0], "a window's first position"), json_integer<int64_t>(j[1], "a window's last position")};
}

PhaseChange phase_change_from_json(const nlohmann::json& pc) {
  PhaseChange c;
  read_integer(pc, "start_snapshot", c.start_snapshot);
  read_integer(pc, "end_snapshot", c.end_snapshot);
  read_integer(pc, "start_step", c.start_step);
  read_integer(pc, "end_step", c.end_step);
  read_integer(pc, "start_tokens", c.start_tokens);
  read_integer(pc, "end_tokens", c.end_tokens);
  read_integer(pc, "steepest_tokens", c.steepest_tokens);
  c.steepest_derivative = pc.at("steepest_derivative");
  c.delta_nats = pc.at("delta_nats");
  return c;
}

}  // namespace

IclResult IclResult::from_json(const nlohmann::json& j) {
  IclResult r;
  r.steps = integers(j, "steps");
  r.tokens = integers(j, "tokens");
  r.icl_score = doubles(j.at("icl_score"));
  r.icl_stderr = doubles(j.at("icl_stderr"));
  r.early_loss = doubles(j.at("early_loss"));
  r.late_loss = doubles(j.at("late_loss"));
  r.icl_score_smoothed = doubles(j.at("icl_score_smoothed"));
  r.d_icl_d_logtokens = doubles(j.at("d_icl_d_logtokens"));
  r.d2_icl_d_logtokens2 = doubles(j.at("d2_icl_d_logtokens2"));
  const auto& p = j.at("parameters");
  read_integer(p, "early_index", r.positions.early_index);
  read_integer(p, "late_index", r.positions.late_index);
  r.positions.early_window = window(p.at("early_window"));
  r.positions.late_window = window(p.at("late_window"));
  r.positions.defaults_scaled = p.value("defaults_scaled_to_n_ctx", false);
  read_integer(p, "n_ctx", r.n_ctx);
  read_integer(p, "n_eval", r.n_eval);
  r.sigma_snapshots = p.at("sigma_snapshots");
  r.min_drop_nats = p.at("min_drop_nats");
  r.search_from_step = 0;
  if (p.contains("search_from_step")) read_integer(p, "search_from_step", r.search_from_step);
  const size_t n = r.steps.size();
  for (const auto* v : {&r.icl_score, &r.icl_stderr, &r.icl_score_smoothed, &r.d_icl_d_logtokens,
                        &r.d2_icl_d_logtokens2})
    CS_CHECK(v->size() == n && r.tokens.size() == n, "its arrays do not have one entry per snapshot");
  CS_CHECK(n > 0, "it has no snapshots");
  if (const auto& pc = j.at("phase_change"); !pc.is_null()) r.phase_change = phase_change_from_json(pc);
  return r;
}

nlohmann::ordered_json icl_settings_json(const IclOptions& o) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  if (o.early_window) j["early_window"] = window_json(*o.early_window);
  if (o.late_window) j["late_window"] = window_json(*o.late_window);
  if (o.early_index) j["early_index"] = *o.early_index;
  if (o.late_index) j["late_index"] = *o.late_index;
  j["sigma_snapshots"] = o.sigma_snapshots;
  j["min_drop_nats"] = o.min_drop_nats;
  if (o.search_from_step >= 0) j["search_from_step"] = o.search_from_step;
  return j;
}

IclOptions icl_settings_from_json(const nlohmann::json& j) {
  CS_CHECK(j.is_object(), "it is not a JSON object");
  IclOptions o;
  if (j.contains("early_window")) o.early_window = window(j["early_window"]);
  if (j.contains("late_window")) o.late_window = window(j["late_window"]);
  if (j.contains("early_index")) o.early_index = json_integer<int64_t>(j["early_index"], "early_index");
  if (j.contains("late_index")) o.late_index = json_integer<int64_t>(j["late_index"], "late_index");
  o.sigma_snapshots = j.value("sigma_snapshots", o.sigma_snapshots);
  o.min_drop_nats = j.value("min_drop_nats", o.min_drop_nats);
  o.search_from_step = -1;
  if (j.contains("search_from_step")) o.search_from_step = json_integer<int64_t>(j["search_from_step"], "search_from_step");
  return o;
}

}  // namespace cs::analysis
