#pragma once
// DIR/sweep.html: the sweep on one self-contained page that opens offline, as the run report does
// (report/html_page.h): the findings, the table of runs, the three pictures, and what `sweep run`
// recorded of each run (status, sessions, threads, wall and CPU time) and how busy the sweep kept the
// machine.
#include <string>
#include <vector>

#include "sweep/sweep_pictures.h"
#include "sweep/sweep_table.h"
#include "sweep/sweep_usage.h"

namespace cs::sweep {

std::string sweep_page(const Sweep& sweep, const std::vector<std::string>& findings, const SweepTable& table,
                       const SweepPictures& pictures, const SweepUsage& usage);

}  // namespace cs::sweep
