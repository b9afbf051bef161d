#pragma once
// `sweep commands DIR`: one shell line per run, in the order of sweep.json, to train the runs
// elsewhere (a Slurm array, `mpirun` per run; docs/scale.md). Paths are absolute, so each line runs
// as printed from any folder. A run not started yet gets its whole `train` command, a run that
// saved a state `train --out RUN --resume`, and a finished run a comment (a shell does nothing
// with it), so that line k is always run k.
#include <string>
#include <vector>

#include "sweep/plan.h"

namespace cs::sweep {

// `binary`: the circuitscope to run; `threads` > 0 adds --threads to the runs that start afresh.
std::vector<std::string> run_commands(const Sweep& sweep, const std::string& binary, int threads);

// WORD quoted for a POSIX shell when it holds anything but letters, digits and -_./:=+,@%.
std::string shell_quote(const std::string& word);

}  // namespace cs::sweep
