#pragma once
// The run's findings in plain sentences, as a researcher would open a write-up with them: each
// computed from the analyses' structs and pointing at the section of the report that shows it,
// and each saying so plainly when what it looks for is absent (no phase change, no induction
// head). The report page (report/html_report.h) opens with them; they are a list of sentences so
// that they can be checked without a page.
#include <string>
#include <utility>
#include <vector>

#include "analysis/ablation_report.h"
#include "analysis/circuits_report.h"
#include "analysis/heads_report.h"
#include "analysis/icl.h"
#include "analysis/loss_bump.h"
#include "analysis/paths_report.h"
#include "analysis/probes_report.h"

namespace cs::report {

// The report's sections, in page order; a finding names the one holding its picture.
namespace anchor {
inline constexpr const char* loss = "loss";
inline constexpr const char* icl_heatmap = "icl-heatmap";
inline constexpr const char* icl = "icl";
inline constexpr const char* heads = "heads";
inline constexpr const char* heads_over_training = "heads-over-training";
inline constexpr const char* eigenvalues = "eigenvalues";
inline constexpr const char* induction_scatter = "induction-scatter";
inline constexpr const char* composition = "composition";
inline constexpr const char* paths = "paths";
inline constexpr const char* ablation = "ablation";
inline constexpr const char* skip_trigrams = "skip-trigrams";
inline constexpr const char* probes = "probes";
}  // namespace anchor

struct Finding {
  std::string text;
  std::string anchor;  // a section id of the page (report::anchor), without '#'
};

// What the findings are computed from. Any of it may be missing (null): the sentence that needs
// it then says the analysis is absent, and `icl_note` says why the ICL curve is.
struct FindingInputs {
  const analysis::IclResult* icl = nullptr;
  std::string icl_note;
  const analysis::LossCurveAnalysis* loss_curve = nullptr;
  const analysis::HeadsReport* heads = nullptr;
  const analysis::HeadsOverTraining* heads_over_training = nullptr;
  const analysis::CircuitsAnalysis* circuits = nullptr;
  const analysis::PathsReport* paths = nullptr;
  // The ablation of each head; its snapshot `ablation_step` is the one the heads were scored at.
  const analysis::AblationReport* ablation = nullptr;
  int64_t ablation_step = -1;  // -1: the report's last snapshot
  // The induction heads of `heads` ablated together (analysis::ablate_heads).
  const analysis::JointAblation* induction_ablation = nullptr;
  const analysis::ProbesReport* probes = nullptr;
};

// Heads named "induction" at the analysed snapshot, (layer, head) in layer-major order.
std::vector<std::pair<int, int>> induction_heads(const analysis::HeadsReport& heads);

std::vector<Finding> findings(const FindingInputs& in);

// "1.3", "1.3 and 1.5", "1.3, 1.5 and 1.6": how the page and the findings list heads.
std::string head_list(const std::vector<std::pair<int, int>>& heads);

}  // namespace cs::report
