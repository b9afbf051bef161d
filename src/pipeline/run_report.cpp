#include "pipeline/run_report.h"

#include <filesystem>

#include "core/error.h"
#include "core/format.h"
#include "io/atomic_file.h"
#include "pipeline/run_curves.h"
#include "report/html_report.h"

namespace cs::pipeline {

std::string write_report(const run::RunDir& run, const Analyses& analyses, const std::string& out) {
  const std::string path = out.empty() ? run.path(File::report_html) : out;
  const RunCurves curves = run_curves(run, analyses);
  io::write_file_atomic(path, report::html_report(run, analyses, curves));
  return path;
}

std::string report(const std::string& run_dir, const ReportOptions& o,
                   const std::function<void(const std::string&)>& progress) {
  CS_CHECK(std::filesystem::is_directory(run_dir), run_dir << " is not a folder");
  const run::RunDir run(run_dir);
  CS_CHECK(run.is_run(), run_dir << " is not a run folder (it has no " << file_name(File::config) << ")");
  AnalyzeOptions ao;
  ao.snapshot = std::to_string(run.resolve_step(o.snapshot));
  ao.over_training = !o.last_only && run.snapshot_steps().size() >= 2;
  const Analyses a = analyze(run, ao, [&](const std::string& name, const Analyses& so_far) {
    if (progress) progress(format("%s done in %.1f s", name.c_str(), so_far.seconds.back().second));
  });
  return write_report(run, a, o.out);
}

}  // namespace cs::pipeline
