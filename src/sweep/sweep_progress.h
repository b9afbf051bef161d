#pragma once
// What `sweep run` shows while it trains: one progress line per run in training (read from the
// run's metrics.jsonl, in the format of train's own bar) and one line for the whole sweep with its
// ETA. On a terminal the lines are redrawn in place; otherwise printed every 10 s.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "sweep/plan.h"

namespace cs::sweep {

// Seconds until every run is done with `jobs` at a time: the running runs' remaining seconds
// first, then each waiting run, in order, in the first slot to come free; 0 when nothing is left,
// NaN when some run's time is unknown (NaN).
double sweep_eta(const std::vector<double>& running, const std::vector<double>& waiting, int jobs);

// How fast a run not yet measured will train, in tokens/s: the mean of the measured runs of the
// same depth and kind (MLP or not), else of every measured run; NaN when none is measured.
// rates[i] is runs[i]'s measured rate, 0 when unknown.
double expected_rate(const std::vector<Run>& runs, const std::vector<double>& rates, const Run& run);

class SweepBoard {
 public:
  // `done_steps[i]`: the steps runs[i] had when the sweep started.
  SweepBoard(const std::vector<Run>& runs, std::vector<int64_t> done_steps, int jobs, std::string root);

  void started(size_t run);
  void ended(size_t run, bool finished);
  // Redraws the lines when it is time to, reading the running runs' metrics.
  void draw();
  // The sweep's line once more, to stay on screen when the lines are gone.
  void finish();

 private:
  using Clock = std::chrono::steady_clock;
  struct Watch {
    size_t run;
    int64_t first_step = -1;  // the step of the first metrics line seen, -1 before
    Clock::time_point first_time;
    double loss = 0;
  };
  void observe(Watch& w);
  std::string run_line(const Watch& w) const;
  std::string sweep_line() const;

  const std::vector<Run>& runs_;
  std::vector<int64_t> done_;
  std::vector<double> rates_;
  std::vector<bool> finished_;
  std::vector<Watch> watching_;
  int jobs_;
  std::string root_;
  bool tty_;
  Clock::time_point last_draw_;
};

}  // namespace cs::sweep
