#pragma once
// `sweep run DIR`: trains every run of the sweep that has not finished, `jobs` at a time, each a
// `train` child process (sweep/child.h) with cores / jobs threads; a run stopped earlier continues
// from its saved state (`train --resume`, bit for bit as if never stopped). SIGINT or SIGTERM
// stops every run cleanly, each saving its state, and running the sweep again carries on. Each
// run's status, sessions, wall and CPU time go into sweep.json as they change.
#include <string>
#include <vector>

namespace cs::sweep {

struct RunOptions {
  int jobs = 1;
  int cores = 1;                          // shared among the jobs: cores / jobs threads each, at least 1
  std::string binary = "/proc/self/exe";  // the circuitscope that trains each run
};

struct RunOutcome {
  int total = 0, finished = 0, interrupted = 0, failed = 0;
  bool stopped = false;               // by a signal
  std::vector<std::string> failures;  // one line per failed run: name, exit, the log's last line
};

RunOutcome run_sweep(const std::string& dir, const RunOptions& options);

}  // namespace cs::sweep
