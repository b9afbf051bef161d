// The report's findings: on the fixed tiny run (no induction, no phase change) the sentences that
// say a finding is absent; on analyses built by hand, the induction sentence with exact numbers.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "../io/temp_dir.h"
#include "core/gemm.h"
#include "pipeline/analyze.h"
#include "report/findings.h"
#include "pipeline/run_curves.h"
#include "report/html_report.h"

namespace cs::report {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kAnchors = {anchor::loss,      anchor::icl_heatmap,         anchor::icl,
                                           anchor::heads,     anchor::heads_over_training, anchor::eigenvalues,
                                           anchor::induction_scatter, anchor::composition, anchor::paths,
                                           anchor::ablation,  anchor::skip_trigrams,       anchor::probes};

std::string all_text(const std::vector<Finding>& found) {
  std::string s;
  for (const Finding& f : found) s += f.text + "\n";
  return s;
}

// The sentence starting with `prefix`, or "" when none does.
std::string sentence(const std::vector<Finding>& found, const std::string& prefix, std::string* anchor = nullptr) {
  for (const Finding& f : found)
    if (f.text.rfind(prefix, 0) == 0) {
      if (anchor) *anchor = f.anchor;
      return f.text;
    }
  return "";
}

TEST(Findings, GoldenRunSaysWhatIsAbsent) {
  test::TempDir tmp;
  const std::string root = tmp / "run";
  fs::copy(fs::path(CS_TEST_DATA) / "golden" / "run", root, fs::copy_options::recursive);
  set_num_threads(1);
  const run::RunDir run(root);
  pipeline::AnalyzeOptions options;
  options.over_training = true;
  const Analyses a = pipeline::analyze(run, options);
  const RunCurves curves = pipeline::run_curves(run, a);
  ASSERT_TRUE(curves.icl) << curves.icl_note;
  ASSERT_TRUE(curves.heads_over_training);
  EXPECT_FALSE(curves.induction_ablation);  // no induction head to ablate
  const std::vector<Finding> found = report_findings(a, curves);
  const std::string text = all_text(found);
  EXPECT_NE(text.find("No phase change: the smoothed ICL score never fell by 0.15 nats within the rule's window."),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("No head reaches the induction threshold 0.3 of prefix matching: the highest is 0.03"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("No head attends mainly to the previous token"), std::string::npos) << text;
  EXPECT_NE(text.find("No head's OV circuit copies"), std::string::npos) << text;
  EXPECT_EQ(text.find("are induction heads"), std::string::npos) << text;
  for (const Finding& f : found)
    EXPECT_NE(std::find(kAnchors.begin(), kAnchors.end(), f.anchor), kAnchors.end()) << f.anchor << ": " << f.text;

  // Every anchor a finding links to is a section of the page.
  const std::string html = html_report(run, a, curves);
  for (const std::string& id : kAnchors) EXPECT_NE(html.find("<section id=\"" + id + "\">"), std::string::npos) << id;
}

// Two layers of four heads: head 0.3 attends to the previous token, heads 1.1 and 1.2 match
// prefixes, copy, and read 0.3 through their keys; they cross the threshold between 22 M and 24 M
// tokens, inside a phase change from 20 M to 30 M.
struct Synthetic {
  analysis::HeadsReport heads;
  analysis::CircuitsAnalysis circuits;
  analysis::HeadsOverTraining over;
  analysis::IclResult icl;
  analysis::JointAblation joint;

  Synthetic() {
    const int L = 2, H = 4;
    analysis::HeadEvaluation& e = heads.evaluation;
    e.n_layers = L;
    e.n_heads = H;
    e.prefix_matching.assign(L * H, 0.02);
    e.previous_token.assign(L * H, 0.05);
    e.positional.assign(L * H, 0.3);
    e.copying_r.assign(L * H, 0.1);
    e.copying_scaled.assign(L * H, -0.6);
    e.prefix_matching[1 * H + 1] = 0.58;
    e.prefix_matching[1 * H + 2] = 0.40;
    e.previous_token[0 * H + 3] = 0.81;
    for (int l = 0; l < L; ++l)
      for (int h = 0; h < H; ++h) {
        analysis::HeadSpectrum s;
        s.layer = l;
        s.head = h;
        s.ov_copying_score = 0.1;
        heads.spectra.push_back(s);
      }
    heads.spectra[1 * H + 1].ov_copying_score = 0.94;
    heads.spectra[1 * H + 2].ov_copying_score = 0.91;
    heads.cfg.n_layers = L;
    heads.cfg.n_heads = H;

    circuits.cfg = heads.cfg;
    circuits.spectra = heads.spectra;
    analysis::CompositionPair p;
    p.l1 = 0;
    p.l2 = 1;
    p.q = p.k = p.v = std::vector<std::vector<double>>(H, std::vector<double>(H, 0.1));
    p.k[3][1] = 0.23;
    p.k[3][2] = 0.20;
    circuits.pairs = {p};
    circuits.baseline.mean = 0.09;
    circuits.baseline.std = 0.01;

    over.n_layers = L;
    over.n_heads = H;
    over.steps = {0, 100, 200, 300};
    over.tokens = {0, 10'000'000, 22'000'000, 24'000'000};
    over.prefix_matching.assign(4 * L * H, 0.02);
    over.previous_token.assign(4 * L * H, 0.05);
    over.prefix_matching[(3 * L + 1) * H + 1] = 0.58;

    icl.steps = over.steps;
    icl.tokens = over.tokens;
    icl.icl_score = {0.0, -0.1, -0.2, -0.45};
    icl.icl_stderr = {0.02, 0.02, 0.02, 0.03};
    icl.positions.early_window = {36, 60};
    icl.positions.late_window = {486, 510};
    icl.min_drop_nats = 0.15;
    analysis::PhaseChange pc;
    pc.start_tokens = 20'000'000;
    pc.end_tokens = 30'000'000;
    pc.start_step = 180;
    pc.end_step = 320;
    pc.steepest_tokens = 23'000'000;
    pc.delta_nats = -0.31;
    icl.phase_change = pc;

    joint.heads = {{1, 1}, {1, 2}};
    joint.clean_icl = -0.45;
    joint.ablated_icl = -0.05;
  }

  FindingInputs inputs() const {
    FindingInputs in;
    in.heads = &heads;
    in.circuits = &circuits;
    in.heads_over_training = &over;
    in.icl = &icl;
    in.induction_ablation = &joint;
    return in;
  }
};

TEST(Findings, InductionHeadsWithTheirNumbers) {
  const Synthetic s;
  const std::vector<Finding> found = findings(s.inputs());
  std::string where;
  EXPECT_EQ(sentence(found, "Heads 1.1", &where),
            "Heads 1.1 and 1.2 are induction heads: prefix matching 0.58/0.40, copying OV circuits (+0.91 to +0.94), "
            "keys K-composed with the previous-token head 0.3 (0.20–0.23 against a 0.09 random baseline).")
      << all_text(found);
  EXPECT_EQ(where, anchor::heads);
  EXPECT_EQ(sentence(found, "They formed", &where),
            "They formed between 22M and 24M training tokens (head 1.1 first reached prefix matching 0.3), inside the "
            "phase-change window (20M–30M).");
  EXPECT_EQ(where, anchor::heads_over_training);
  EXPECT_EQ(sentence(found, "Ablating them together", &where),
            "Ablating them together (pattern-preserving) raises the ICL score from −0.45 to −0.05 nats: they carry "
            "0.40 nats of the in-context learning.");
  EXPECT_EQ(where, anchor::ablation);
  EXPECT_EQ(sentence(found, "Phase change:"),
            "Phase change: the smoothed ICL score fell by 0.310 nats between 20M and 30M training tokens (steps "
            "180–320), fastest at 23M tokens.");
  EXPECT_EQ(sentence(found, "The final ICL score"),
            "The final ICL score is −0.45 ± 0.03 nats: the loss at token positions 486–510 minus the loss at 36–60 "
            "(negative: later tokens are predicted better).");
  EXPECT_EQ(sentence(found, "Head 0.3"), "Head 0.3 is a previous-token head: 0.81 of its attention goes to the previous token.");
  EXPECT_EQ(sentence(found, "2 of 8 heads"),
            "2 of 8 heads have copying OV circuits (eigenvalue copying score +0.91 to +0.94, at least 0.5): 1.1 and 1.2.");
  EXPECT_EQ(sentence(found, "Strongest composition"),
            "Strongest composition: K 0.3 → 1.1 at 0.23 (2.6× baseline), Q 0.0 → 1.0 at 0.10 (1.1× baseline), V 0.0 → "
            "1.0 at 0.10 (1.1× baseline); the random baseline is 0.090 ± 0.010.");
}

TEST(Findings, SaysWhatItCannotKnow) {
  Synthetic s;
  s.icl.phase_change.reset();
  s.heads.evaluation.previous_token[3] = 0.2;  // no previous-token head any more
  s.joint.ablated_icl = -0.5;
  FindingInputs in = s.inputs();
  in.heads_over_training = nullptr;
  const std::vector<Finding> found = findings(in);
  const std::string text = all_text(found);
  EXPECT_NE(text.find("No phase change: the smoothed ICL score never fell by 0.15 nats within the rule's window."),
            std::string::npos);
  EXPECT_NE(text.find("; no earlier head is a previous-token head (threshold 0.5) for their keys to compose with."),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("When they formed is not known: the heads were not scored over training."), std::string::npos);
  EXPECT_NE(text.find("does not raise the ICL score (−0.45 to −0.50 nats)"), std::string::npos) << text;
  EXPECT_NE(text.find("The heads were not ablated"), std::string::npos);
  EXPECT_NE(text.find("Path expansion was not computed."), std::string::npos);
  EXPECT_NE(text.find("The probes were not run."), std::string::npos);

  // Formed, but no phase change to place it in.
  in.heads_over_training = &s.over;
  EXPECT_NE(all_text(findings(in)).find("(head 1.1 first reached prefix matching 0.3); the ICL curve has no phase "
                                        "change to compare with."),
            std::string::npos);

  // Without an ICL curve, and on a one-layer model.
  in = FindingInputs{};
  in.icl_note = "the run has neither A nor B";
  in.circuits = &s.circuits;
  s.circuits.pairs.clear();
  s.circuits.cfg.n_layers = 1;
  const std::string bare = all_text(findings(in));
  EXPECT_NE(bare.find("No ICL curve: the run has neither A nor B."), std::string::npos) << bare;
  EXPECT_NE(bare.find("No composition: the model has 1 layer."), std::string::npos) << bare;
  EXPECT_NE(bare.find("The heads were not analysed"), std::string::npos) << bare;
}

TEST(Findings, HeadLists) {
  EXPECT_EQ(head_list({{1, 3}}), "1.3");
  EXPECT_EQ(head_list({{1, 3}, {1, 5}}), "1.3 and 1.5");
  EXPECT_EQ(head_list({{1, 3}, {1, 5}, {1, 6}}), "1.3, 1.5 and 1.6");
}

}  // namespace
}  // namespace cs::report
