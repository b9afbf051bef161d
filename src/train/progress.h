#pragma once
// Progress of long work on stderr: a redrawn bar with tokens/s and ETA on a terminal, plain log
// lines at a steady interval otherwise (files, CI logs). Bars that run at the same time (the demo
// trains its two models side by side) share the terminal: each keeps its own line. A process that
// watches runs from outside (`sweep run`) draws the same lines into the same block.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace cs {

class Progress {
 public:
  Progress(std::string label, int64_t total_steps, int64_t tokens_per_step, int64_t first_step);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  void update(int64_t step, double loss);
  void note(const std::string& line);  // a message that does not break the bars
  void finish();
  double tokens_per_second() const;

 private:
  std::string line() const;
  std::string label_;
  int64_t total_, tokens_per_step_, first_;
  int64_t last_step_ = 0;
  double last_loss_ = 0;
  bool tty_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

// What one progress line shows.
struct ProgressState {
  std::string label;
  int64_t step = 0, total = 0, tokens_per_step = 0;
  double loss = 0, tokens_per_second = 0;
};

// "LABEL [=====>    ]  37% step 370/1000  loss 3.210  41.2k tok/s  ETA 1m10s"; without the bar
// when `bar` is false (output that is not a terminal).
std::string progress_line(const ProgressState& state, bool bar);

// Whether stderr is a terminal, where progress is a block of lines redrawn in place.
bool progress_on_terminal();

// On a terminal: replaces the block of live lines with `lines` (the Progress bars of this process
// are redrawn at their next update). Elsewhere: prints them.
void draw_progress_lines(const std::vector<std::string>& lines);

// A message above the live lines, which are redrawn at their next update.
void progress_note(const std::string& line);

std::string format_duration(double seconds);

}  // namespace cs
