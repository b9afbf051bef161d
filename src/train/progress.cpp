#include "train/progress.h"

#include <unistd.h>

#include <cstdio>

namespace cs {

std::string format_duration(double s) {
  char buf[32];
  if (s < 60)
    std::snprintf(buf, sizeof buf, "%.0fs", s);
  else if (s < 3600)
    std::snprintf(buf, sizeof buf, "%dm%02ds", int(s) / 60, int(s) % 60);
  else
    std::snprintf(buf, sizeof buf, "%dh%02dm", int(s) / 3600, (int(s) % 3600) / 60);
  return buf;
}

Progress::Progress(std::string label, int64_t total, int64_t tokens_per_step, int64_t first)
    : label_(std::move(label)), total_(total), tokens_per_step_(tokens_per_step), first_(first),
      last_step_(first), tty_(isatty(STDERR_FILENO)), start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

double Progress::tokens_per_second() const {
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  return secs > 0 ? double(last_step_ - first_) * double(tokens_per_step_) / secs : 0.0;
}

void Progress::update(int64_t step, double loss) {
  last_step_ = step;
  last_loss_ = loss;
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_draw_).count();
  if (since < (tty_ ? 0.2 : 10.0) && step < total_) return;
  last_draw_ = now;
  draw(step, loss, false);
}

void Progress::note(const std::string& line) {
  if (tty_) std::fprintf(stderr, "\r\033[K");
  std::fprintf(stderr, "%s\n", line.c_str());
}

void Progress::draw(int64_t step, double loss, bool final_line) {
  const double frac = total_ > 0 ? double(step) / double(total_) : 1.0;
  const double tps = tokens_per_second();
  const double eta = tps > 0 ? double(total_ - step) * double(tokens_per_step_) / tps : 0.0;
  char stats[160];
  std::snprintf(stats, sizeof stats, "step %lld/%lld  loss %.3f  %.1fk tok/s  ETA %s",
                static_cast<long long>(step), static_cast<long long>(total_), loss, tps / 1e3,
                format_duration(eta).c_str());
  if (tty_) {
    const int width = 24, filled = int(frac * width);
    std::string bar(filled, '=');
    if (filled < width) bar += '>' + std::string(width - filled - 1, ' ');
    std::fprintf(stderr, "\r\033[K%s [%s] %3.0f%% %s%s", label_.c_str(), bar.c_str(), frac * 100,
                 stats, final_line ? "\n" : "");
  } else {
    std::fprintf(stderr, "%s %3.0f%% %s\n", label_.c_str(), frac * 100, stats);
  }
  std::fflush(stderr);
}

void Progress::finish() { draw(last_step_, last_loss_, true); }

}  // namespace cs
