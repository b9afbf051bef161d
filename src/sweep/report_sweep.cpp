#include "sweep/report_sweep.h"

#include <chrono>
#include <filesystem>

#include "core/format.h"
#include "io/atomic_file.h"
#include "sweep/child.h"
#include "sweep/sweep_dir.h"
#include "sweep/sweep_findings.h"
#include "sweep/sweep_page.h"
#include "sweep/sweep_pictures.h"

namespace cs::sweep {

SweepReport report_sweep(const std::string& dir, const std::function<void(const std::string&)>& progress) {
  const double cpu_at_start = process_cpu_seconds();
  const Sweep s = load_sweep(dir);
  std::vector<RunResult> results;
  for (const Run& run : s.runs) {
    const auto t0 = std::chrono::steady_clock::now();
    results.push_back(measure_run(s, run));
    if (progress)
      progress(results.back().measured
                   ? format("%s measured in %.1f s", run.name.c_str(),
                            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count())
                   : run.name + ": " + results.back().note);
  }
  SweepReport report;
  report.total = results.size();
  for (const RunResult& r : results) report.measured += r.measured;
  report.findings = sweep_findings(results);
  report.table = sweep_table(s, results);
  const SweepPictures pictures = sweep_pictures(results);
  report.written = write_pictures(s, results, pictures);
  // The page is all that remains to do: the report's own time is known now.
  report.usage = sweep_usage(s, process_cpu_seconds() - cpu_at_start);
  const std::string page = sweep_path(s, File::sweep_html);
  io::write_file_atomic(page, sweep_page(s, report.findings, report.table, pictures, report.usage));
  report.written.insert(report.written.begin(), page);

  nlohmann::ordered_json runs = nlohmann::ordered_json::array(), files = nlohmann::ordered_json::array();
  for (const RunResult& r : results) runs.push_back(to_json(r));
  for (const std::string& f : report.written) files.push_back(std::filesystem::relative(f, s.root).string());
  // Read again: `sweep run` may have recorded something while the runs were measured.
  Sweep latest = load_sweep(dir);
  latest.results = {{"reported", utc_now()},
                    {"measured", report.measured},
                    {"findings", report.findings},
                    {"usage", to_json(report.usage)},
                    {"runs", runs},
                    {"files", files}};
  save_sweep(latest);
  return report;
}

}  // namespace cs::sweep
