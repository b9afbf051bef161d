#include "analysis/head_kinds.h"

#include <cmath>

namespace cs::analysis {

nlohmann::ordered_json KindThresholds::to_json() const {
  nlohmann::ordered_json j;
  j["previous_token"] = previous_token;
  j["induction"] = induction;
  j["copying_r"] = copying_r;
  j["ov_copying_score"] = ov_copying;
  j["positional"] = positional;
  j["rules"] = {
      {"previous-token", "previous_token >= thresholds.previous_token"},
      {"induction", "prefix_matching >= thresholds.induction"},
      {"copying",
       "ov_copying_score >= thresholds.ov_copying_score when known, else copying_r >= "
       "thresholds.copying_r"},
      {"positional", "positional >= thresholds.positional and not previous-token"},
  };
  return j;
}

KindThresholds KindThresholds::from_json(const nlohmann::json& j) {
  KindThresholds t;
  t.previous_token = j.at("previous_token");
  t.induction = j.at("induction");
  t.copying_r = j.at("copying_r");
  t.ov_copying = j.at("ov_copying_score");
  t.positional = j.at("positional");
  return t;
}

std::vector<std::string> head_kinds(const HeadScores& s, const KindThresholds& t) {
  // `x >= t` is false for NaN, which is what an undefined score should give.
  std::vector<std::string> kinds;
  const bool previous = s.previous_token >= t.previous_token;
  if (previous) kinds.push_back("previous-token");
  if (s.prefix_matching >= t.induction) kinds.push_back("induction");
  const bool copying = s.ov_copying_score ? *s.ov_copying_score >= t.ov_copying
                                          : s.copying_r >= t.copying_r;
  if (copying) kinds.push_back("copying");
  if (!previous && s.positional >= t.positional) kinds.push_back("positional");
  return kinds;
}

}  // namespace cs::analysis
