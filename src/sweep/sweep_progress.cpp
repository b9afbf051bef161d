#include "sweep/sweep_progress.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>

#include "core/format.h"
#include "run/run_dir.h"
#include "train/progress.h"

namespace cs::sweep {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

double sweep_eta(const std::vector<double>& running, const std::vector<double>& waiting, int jobs) {
  const auto unknown = [](double t) { return std::isnan(t); };
  if (std::any_of(running.begin(), running.end(), unknown) || std::any_of(waiting.begin(), waiting.end(), unknown))
    return kNaN;
  std::vector<double> free_at(size_t(std::max(1, jobs)), 0.0);
  for (size_t i = 0; i < running.size(); ++i) free_at[i % free_at.size()] += running[i];
  for (double w : waiting) *std::min_element(free_at.begin(), free_at.end()) += w;
  return *std::max_element(free_at.begin(), free_at.end());
}

double expected_rate(const std::vector<Run>& runs, const std::vector<double>& rates, const Run& run) {
  double same = 0, any = 0;
  int n_same = 0, n_any = 0;
  for (size_t i = 0; i < runs.size(); ++i) {
    if (!(rates[i] > 0)) continue;
    any += rates[i], ++n_any;
    if (runs[i].layers == run.layers && runs[i].mlp == run.mlp) same += rates[i], ++n_same;
  }
  return n_same ? same / n_same : n_any ? any / n_any : kNaN;
}

SweepBoard::SweepBoard(const std::vector<Run>& runs, std::vector<int64_t> done_steps, int jobs, std::string root)
    : runs_(runs),
      done_(std::move(done_steps)),
      rates_(runs.size(), 0.0),
      finished_(runs.size(), false),
      jobs_(jobs),
      root_(std::move(root)),
      tty_(progress_on_terminal()),
      last_draw_(Clock::now()) {
  for (size_t i = 0; i < runs.size(); ++i) {
    rates_[i] = runs[i].tokens_per_second;  // measured in an earlier session, if any
    finished_[i] = done_[i] >= runs[i].steps;
  }
}

void SweepBoard::started(size_t run) { watching_.push_back({run, -1, Clock::now(), 0}); }

void SweepBoard::ended(size_t run, bool finished) {
  const auto w = std::find_if(watching_.begin(), watching_.end(), [&](const Watch& x) { return x.run == run; });
  if (w != watching_.end()) {
    observe(*w);
    watching_.erase(w);
  }
  if (runs_[run].tokens_per_second > 0) rates_[run] = runs_[run].tokens_per_second;  // over its whole session
  if (finished) done_[run] = runs_[run].steps;
  finished_[run] = true;  // done for this session, whichever way it ended
}

// The run's last logged step and loss, and from them its rate since the sweep first saw it train.
void SweepBoard::observe(Watch& w) {
  const run::LossLog log = run::RunDir((std::filesystem::path(root_) / runs_[w.run].name).string()).metrics();
  if (log.steps.empty()) return;
  const int64_t step = log.steps.back();
  w.loss = log.loss.back();
  const auto now = Clock::now();
  if (w.first_step < 0) {
    w.first_step = step;
    w.first_time = now;
  }
  const double secs = std::chrono::duration<double>(now - w.first_time).count();
  if (secs > 1 && step > w.first_step)
    rates_[w.run] = double(step - w.first_step) * double(runs_[w.run].tokens_per_step) / secs;
  done_[w.run] = step;
}

std::string SweepBoard::run_line(const Watch& w) const {
  const Run& r = runs_[w.run];
  if (w.first_step < 0) return r.name + " setting up";
  if (!(rates_[w.run] > 0))
    return format("%s step %lld/%lld (measuring its speed)", r.name.c_str(), static_cast<long long>(done_[w.run]),
                  static_cast<long long>(r.steps));
  return progress_line({r.name, done_[w.run], r.steps, r.tokens_per_step, w.loss, rates_[w.run]}, tty_);
}

std::string SweepBoard::sweep_line() const {
  std::vector<double> running, waiting;
  int n_finished = 0;
  for (const Watch& w : watching_) {
    const Run& r = runs_[w.run];
    const double rate = rates_[w.run] > 0 ? rates_[w.run] : expected_rate(runs_, rates_, r);
    running.push_back(double(r.steps - done_[w.run]) * double(r.tokens_per_step) / rate);
  }
  for (size_t i = 0; i < runs_.size(); ++i) {
    const bool active = std::any_of(watching_.begin(), watching_.end(), [&](const Watch& w) { return w.run == i; });
    n_finished += done_[i] >= runs_[i].steps;
    if (active || finished_[i]) continue;
    waiting.push_back(double(runs_[i].steps - done_[i]) * double(runs_[i].tokens_per_step) /
                      expected_rate(runs_, rates_, runs_[i]));
  }
  const double eta = sweep_eta(running, waiting, jobs_);
  return format("sweep: %d of %zu runs finished, %zu training, %zu waiting; ETA %s", n_finished, runs_.size(),
                running.size(), waiting.size(), std::isnan(eta) ? "unknown yet" : format_duration(eta).c_str());
}

void SweepBoard::draw() {
  const auto now = Clock::now();
  if (std::chrono::duration<double>(now - last_draw_).count() < (tty_ ? 0.5 : 10.0)) return;
  last_draw_ = now;
  std::vector<std::string> lines;
  for (Watch& w : watching_) {
    observe(w);
    lines.push_back(run_line(w));
  }
  lines.push_back(sweep_line());
  draw_progress_lines(lines);
}

void SweepBoard::finish() { progress_note(sweep_line()); }

}  // namespace cs::sweep
