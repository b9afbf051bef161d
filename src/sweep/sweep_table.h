#pragma once
// The sweep's table, one row per run, as text cells: what the page shows and `sweep report`
// prints. Depth, MLP or not, seed and the other axes; final evaluation loss; final ICL score ±
// standard error; the phase-change window and the drop across it; the induction heads (layer.head),
// when each first reached the induction threshold; and the ICL change with them ablated together.
#include <string>
#include <vector>

#include "sweep/sweep_results.h"

namespace cs::sweep {

struct SweepTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  // Per row: why the run has no numbers (empty when it has); its cells after the run's settings
  // are then empty.
  std::vector<std::string> notes;
  size_t settings = 0;  // the columns that describe the run rather than measure it
};

SweepTable sweep_table(const Sweep& sweep, const std::vector<RunResult>& results);

// The table as aligned plain text, one line per row.
std::string table_text(const SweepTable& table);

}  // namespace cs::sweep
