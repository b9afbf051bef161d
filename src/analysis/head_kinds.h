#pragma once
// Names for what a head does, from its evaluator scores (docs/evaluators.md). The thresholds are
// choices, written into every heads.json so a reader can re-derive or override the names.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace cs::analysis {

struct KindThresholds {
  // Half of the attention on the previous token, averaged over text: the head's main job.
  double previous_token = 0.5;
  // An ideal induction head scores 1 and attention spread evenly over a repeated sequence about
  // (copies seen) / (positions seen) < 0.05; 0.3 is six times that.
  double induction = 0.3;
  // r >= 0.25 (copying_scaled >= 0): the attended tokens get at least a quarter of the raise given
  // to the whole sample; a head that raises the sample evenly gets about 1 / n_tokens.
  double copying_r = 0.25;
  // Used instead of copying_r when the OV eigenvalue score (docs/circuits.md) is known: mostly
  // positive eigenvalues.
  double ov_copying = 0.5;
  // Where the head looks barely depends on the tokens (and it is not a previous-token head, the
  // more specific name).
  double positional = 0.9;

  nlohmann::ordered_json to_json() const;
  static KindThresholds from_json(const nlohmann::json& j);
};

struct HeadScores {
  double prefix_matching = 0, previous_token = 0, positional = 0, copying_r = 0;
  std::optional<double> ov_copying_score;
};

// Any of "previous-token", "induction", "copying", "positional"; a head can have several or none.
// NaN scores never qualify.
std::vector<std::string> head_kinds(const HeadScores& scores, const KindThresholds& t = {});

}  // namespace cs::analysis
