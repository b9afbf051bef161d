#pragma once
// One run on one page (`circuitscope report`): the run's findings in sentences, then every
// picture and table of its analyses — loss curve, loss by position over training, ICL score and
// derivatives, head scores and heads over training, OV/QK eigenvalues, the induction scatter,
// composition, path expansion, ablations, skip-trigrams and probes. The page is one HTML file
// that opens offline: pictures are inline SVG documents (data: URIs), styles are inline, nothing
// is fetched. A section whose analysis is missing says so and why.
#include <optional>
#include <string>
#include <vector>

#include "analysis/icl.h"
#include "analysis/loss_bump.h"
#include "pipeline/analyze.h"
#include "pipeline/run_curves.h"
#include "report/findings.h"
#include "run/run_dir.h"

namespace cs::report {

using pipeline::Analyses;
using pipeline::RunCurves;

// The findings of the page, from the snapshot's analyses and the run's curves.
std::vector<Finding> report_findings(const Analyses& analyses, const RunCurves& curves);

// The page itself.
std::string html_report(const run::RunDir& run, const Analyses& analyses, const RunCurves& curves);

}  // namespace cs::report
