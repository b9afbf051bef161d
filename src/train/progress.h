#pragma once
// Progress of long work on stderr: a redrawn bar with tokens/s and ETA on a terminal, plain log
// lines at a steady interval otherwise (files, CI logs). Bars that run at the same time (the demo
// trains its two models side by side) share the terminal: each keeps its own line.
#include <chrono>
#include <cstdint>
#include <string>

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

std::string format_duration(double seconds);

}  // namespace cs
