#pragma once
// The sweep's findings: sentences computed from the runs' measured numbers, never written ahead
// of them. Runs that differ only in their seed form a group ("the 2-layer models"); each sentence
// compares groups and says plainly what was not seen (no phase change, no induction head).
#include <string>
#include <vector>

#include "sweep/sweep_results.h"

namespace cs::sweep {

std::vector<std::string> sweep_findings(const std::vector<RunResult>& results);

}  // namespace cs::sweep
