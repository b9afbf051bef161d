#include "viewer/head_kinds_view.h"

#include <map>
#include <string>

namespace cs::viewer {

namespace {

using ojson = nlohmann::ordered_json;

// The head panel's composition scores are bold at more than this many standard deviations above
// the random baseline's mean.
constexpr double kCompositionBoldSigmas = 3;

// The thumbnails' room fits a few letters per kind.
const std::map<std::string, std::string>& short_labels() {
  static const std::map<std::string, std::string> labels = {
      {"previous-token", "prev"}, {"induction", "induct"}, {"copying", "copy"}, {"positional", "pos"}};
  return labels;
}

struct ScoreRow {
  const char* key;        // in the head JSON's `scores`
  const char* label;
  const char* threshold;  // its key in KindThresholds::to_json(), or null: the score names no kind
  const char* kind;
  bool over_training;     // a curve in heads_over_training.json
  const char* help;
};

// In the order of the head panel's table.
constexpr ScoreRow kScores[] = {
    {"prefix_matching", "prefix matching (induction)", "induction", "induction", true,
     "attention to the token after an earlier copy of the current one"},
    {"previous_token", "previous token", "previous_token", "previous-token", true,
     "attention to the position just before"},
    {"positional", "positional", "positional", "positional", false,
     "how little where it looks depends on the tokens"},
    {"copying_r", "copying r (measured)", "copying_r", "copying", false,
     "share of its logit raise that goes to the tokens it attends to"},
    {"ov_copying_score", "OV copying (eigenvalues)", "ov_copying_score", "copying", false,
     "Re Σλ / Σ|λ| of W_E W_OV W_U"},
    {"qk_copying_score", "QK copying (eigenvalues)", nullptr, nullptr, false, "Re Σλ / Σ|λ| of W_E W_QK W_Eᵀ"},
};

ojson kinds_json(const ojson& rules) {
  ojson kinds = ojson::array();
  for (const auto& [name, rule] : rules.items()) {
    const auto label = short_labels().find(name);
    kinds.push_back({{"name", name},
                     {"label", label == short_labels().end() ? name : label->second},
                     {"rule", rule}});
  }
  return kinds;
}

ojson scores_json(const ojson& thresholds) {
  ojson scores = ojson::array();
  for (const ScoreRow& s : kScores)
    scores.push_back({{"key", s.key},
                      {"label", s.label},
                      {"threshold", s.threshold ? thresholds.at(s.threshold) : ojson(nullptr)},
                      {"kind", s.kind ? ojson(s.kind) : ojson(nullptr)},
                      {"over_training", s.over_training},
                      {"help", s.help}});
  return scores;
}

}  // namespace

ojson head_kinds_json(const analysis::KindThresholds& thresholds) {
  ojson t = thresholds.to_json();
  const ojson rules = t["rules"];
  t.erase("rules");
  return {{"kinds", kinds_json(rules)},
          {"thresholds", t},
          {"scores", scores_json(t)},
          {"composition_bold_sigmas", kCompositionBoldSigmas}};
}

}  // namespace cs::viewer
