#pragma once
// `sweep report DIR`: every finished run measured (sweep/sweep_results.h) and compared: the
// results section of DIR/sweep.json, DIR/sweep.html, and the three pictures with their data
// (sweep/sweep_pictures.h). Runs not finished yet are listed as such and left out of the numbers.
#include <functional>
#include <string>
#include <vector>

#include "sweep/sweep_table.h"
#include "sweep/sweep_usage.h"

namespace cs::sweep {

struct SweepReport {
  std::vector<std::string> findings;
  SweepTable table;
  std::vector<std::string> written;  // the page, the pictures and their data
  size_t measured = 0, total = 0;
  SweepUsage usage;
};

// `progress` hears one line per run as it is measured.
SweepReport report_sweep(const std::string& dir, const std::function<void(const std::string&)>& progress = {});

}  // namespace cs::sweep
