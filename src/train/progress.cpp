#include "train/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <mutex>

namespace cs {

namespace {

// The terminal's live bars, in start order, drawn as one block whose last line holds the cursor.
std::mutex g_board_mutex;
std::vector<const Progress*> g_board;
int g_board_lines = 0;

void erase_board() {
  if (g_board_lines > 1) std::fprintf(stderr, "\033[%dA", g_board_lines - 1);
  std::fprintf(stderr, "\r\033[J");
  g_board_lines = 0;
}

// Under g_board_mutex.
void draw_locked(const std::vector<std::string>& lines) {
  if (!progress_on_terminal()) {
    for (const std::string& l : lines) std::fprintf(stderr, "%s\n", l.c_str());
  } else {
    erase_board();
    for (size_t i = 0; i < lines.size(); ++i) std::fprintf(stderr, "%s%s", i ? "\n" : "", lines[i].c_str());
    g_board_lines = int(lines.size());
  }
  std::fflush(stderr);
}

}  // namespace

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

bool progress_on_terminal() { return isatty(STDERR_FILENO); }

std::string progress_line(const ProgressState& p, bool bar) {
  const double frac = p.total > 0 ? double(p.step) / double(p.total) : 1.0;
  const double tps = p.tokens_per_second;
  const double eta = tps > 0 ? double(p.total - p.step) * double(p.tokens_per_step) / tps : 0.0;
  char stats[160];
  std::snprintf(stats, sizeof stats, "step %lld/%lld  loss %.3f  %.1fk tok/s  ETA %s",
                static_cast<long long>(p.step), static_cast<long long>(p.total), p.loss, tps / 1e3,
                format_duration(eta).c_str());
  char pct[8];
  std::snprintf(pct, sizeof pct, "%3.0f%%", frac * 100);
  if (!bar) return p.label + " " + pct + " " + stats;
  const int width = 24, filled = int(frac * width);
  std::string drawn(filled, '=');
  if (filled < width) drawn += '>' + std::string(width - filled - 1, ' ');
  return p.label + " [" + drawn + "] " + pct + " " + stats;
}

void draw_progress_lines(const std::vector<std::string>& lines) {
  std::lock_guard<std::mutex> lock(g_board_mutex);
  draw_locked(lines);
}

void progress_note(const std::string& text) {
  std::lock_guard<std::mutex> lock(g_board_mutex);
  if (progress_on_terminal()) erase_board();
  std::fprintf(stderr, "%s\n", text.c_str());
  std::fflush(stderr);
}

Progress::Progress(std::string label, int64_t total, int64_t tokens_per_step, int64_t first)
    : label_(std::move(label)), total_(total), tokens_per_step_(tokens_per_step), first_(first),
      last_step_(first), tty_(progress_on_terminal()), start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {
  if (!tty_) return;
  std::lock_guard<std::mutex> lock(g_board_mutex);
  g_board.push_back(this);
}

Progress::~Progress() {
  if (!tty_) return;
  std::lock_guard<std::mutex> lock(g_board_mutex);
  g_board.erase(std::remove(g_board.begin(), g_board.end(), this), g_board.end());
}

double Progress::tokens_per_second() const {
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  return secs > 0 ? double(last_step_ - first_) * double(tokens_per_step_) / secs : 0.0;
}

std::string Progress::line() const {
  return progress_line({label_, last_step_, total_, tokens_per_step_, last_loss_, tokens_per_second()}, tty_);
}

void Progress::update(int64_t step, double loss) {
  // Under the lock: another run's thread may be drawing this bar.
  std::lock_guard<std::mutex> lock(g_board_mutex);
  last_step_ = step;
  last_loss_ = loss;
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_draw_).count();
  if (since < (tty_ ? 0.2 : 10.0) && step < total_) return;
  last_draw_ = now;
  if (!tty_) {
    draw_locked({line()});
    return;
  }
  std::vector<std::string> lines;
  for (const Progress* p : g_board) lines.push_back(p->line());
  draw_locked(lines);
}

void Progress::note(const std::string& text) { progress_note(text); }

void Progress::finish() {
  // The final line stays on screen above the bars still running; they are redrawn at their next
  // update.
  note(line());
  if (!tty_) return;
  std::lock_guard<std::mutex> lock(g_board_mutex);
  g_board.erase(std::remove(g_board.begin(), g_board.end(), this), g_board.end());
}

}  // namespace cs
