#include "sweep/run_sweep.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <deque>
#include <fstream>
#include <thread>

#include "core/error.h"
#include "core/format.h"
#include "run/run_dir.h"
#include "sweep/child.h"
#include "sweep/sweep_dir.h"
#include "sweep/sweep_progress.h"
#include "train/interrupts.h"
#include "train/progress.h"

namespace cs::sweep {

namespace {

using Clock = std::chrono::steady_clock;

// The last line of a file that says something: a failed run's error.
std::string last_line(const std::string& path) {
  std::ifstream in(path);
  std::string line, last;
  while (std::getline(in, line))
    if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
  return last;
}

int64_t logged_step(const Sweep& s, const Run& r) {
  const run::RunDir dir(run_dir(s, r));
  if (!dir.is_run()) return 0;
  const run::LossLog log = dir.metrics();
  return log.steps.empty() ? 0 : log.steps.back();
}

std::vector<int64_t> steps_done(const Sweep& s, const std::vector<RunState>& states) {
  std::vector<int64_t> done;
  for (size_t i = 0; i < s.runs.size(); ++i)
    done.push_back(states[i] == RunState::finished ? s.runs[i].steps : logged_step(s, s.runs[i]));
  return done;
}

// A run's training work per token, in multiply-adds up to a constant factor: the projections, the
// attention over the context, the MLP and the unembedding. It only orders the queue.
double work_per_token(const Sweep& s, const Run& r) {
  auto number = [&](const char* flag, double fallback) {
    const std::string v = flag_value(r.train, flag);
    return v.empty() ? fallback : std::stod(v);
  };
  const double D = number("--d-model", 128), HK = number("--n-heads", 8) * number("--d-head", 16);
  const double M = r.mlp ? number("--d-mlp", 4 * D) : 0, T = number("--n-ctx", 256);
  double V = 0;
  for (const TokenFolder& t : s.tokens)
    if (t.folder == flag_value(r.train, "--corpus")) V = t.prepare.d_vocab;
  return r.layers * (4 * D * HK + 2 * D * M + T * HK) + D * V;
}

// Longest remaining work first: the last runs to finish are then the short ones, so the cores
// stay busy until the end (a long run started last would train alone on its share of them).
std::deque<size_t> queue_longest_first(const Sweep& s, const std::vector<RunState>& states) {
  const std::vector<int64_t> done = steps_done(s, states);
  std::vector<std::pair<double, size_t>> work;
  for (size_t i = 0; i < s.runs.size(); ++i)
    if (states[i] != RunState::finished)
      work.push_back({double(s.runs[i].steps - done[i]) * double(s.runs[i].tokens_per_step) * work_per_token(s, s.runs[i]), i});
  std::stable_sort(work.begin(), work.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::deque<size_t> queue;
  for (const auto& w : work) queue.push_back(w.second);
  return queue;
}

std::vector<RunState> states_of(const Sweep& s) {
  std::vector<RunState> states;
  for (const Run& r : s.runs) states.push_back(run_state(s, r));
  return states;
}

class Runner {
 public:
  Runner(Sweep sweep, const RunOptions& options, const std::vector<RunState>& states)
      : s_(std::move(sweep)),
        o_(options),
        board_(s_.runs, steps_done(s_, states), options.jobs, s_.root),
        queue_(queue_longest_first(s_, states)) {
    for (size_t i = 0; i < s_.runs.size(); ++i)
      if (states[i] == RunState::finished) s_.runs[i].status = "finished";  // maybe trained from `sweep commands`
    s_.sessions.push_back({utc_now(), options.jobs, options.cores, 0, 0, 0});
    save_sweep(s_);
  }
  RunOutcome run();

 private:
  struct Active {
    size_t run;
    Child child;
    Clock::time_point started;
    int64_t first_step;
  };
  void launch(size_t i);
  void record(const Active& a, const ChildExit& e);
  void stop();
  void update_session();

  Sweep s_;
  RunOptions o_;
  SweepBoard board_;
  std::deque<size_t> queue_;
  std::vector<Active> active_;
  bool stopping_ = false;
  Clock::time_point started_ = Clock::now();
  double cpu_at_start_ = process_cpu_seconds();
};

void Runner::update_session() {
  Session& x = s_.sessions.back();
  x.wall_seconds = std::chrono::duration<double>(Clock::now() - started_).count();
  x.own_cpu_seconds = process_cpu_seconds() - cpu_at_start_;
}

void Runner::launch(size_t i) {
  Run& r = s_.runs[i];
  const RunState state = run_state(s_, r);
  const std::string given = flag_value(r.train, "--threads");
  const int threads = std::max(1, o_.cores / std::max(1, o_.jobs));
  std::vector<std::string> args = {"train"};
  const std::vector<std::string> flags = train_args(s_, r, state, threads);
  args.insert(args.end(), flags.begin(), flags.end());
  // A resumed run keeps the threads it started with: its steps round the same way.
  r.threads = state == RunState::resumable ? run::RunDir(run_dir(s_, r)).config().train.threads
              : given.empty()              ? threads
                                           : std::stoi(given);
  const std::string what = state == RunState::resumable
                               ? format("resuming at step %lld", static_cast<long long>(logged_step(s_, r)))
                           : state == RunState::restart ? "starting again (it was stopped before it saved a state)"
                                                        : "starting";
  r.status = "running";
  ++r.sessions;
  save_sweep(s_);
  const std::string log = sweep_path(s_, File::sweep_log, r.name);
  const int64_t first_step = logged_step(s_, r);
  active_.push_back({i, start_child(o_.binary, args, log), Clock::now(), first_step});
  board_.started(i);
  progress_note(format("%s: %s on %d thread%s (log: %s)", r.name.c_str(), what.c_str(), r.threads,
                       r.threads == 1 ? "" : "s", log.c_str()));
}

void Runner::record(const Active& a, const ChildExit& e) {
  Run& r = s_.runs[a.run];
  const double wall = std::chrono::duration<double>(Clock::now() - a.started).count();
  r.wall_seconds += wall;
  r.cpu_seconds += e.cpu_seconds;
  s_.sessions.back().runs_cpu_seconds += e.cpu_seconds;
  update_session();
  const int64_t step = logged_step(s_, r);
  if (step > a.first_step && wall > 0)
    r.tokens_per_second = double(step - a.first_step) * double(r.tokens_per_step) / wall;
  const RunState state = run_state(s_, r);
  const bool finished = e.code == 0 && state == RunState::finished;
  const bool interrupted = !finished && (e.code == 130 || e.signal == SIGINT || e.signal == SIGTERM);
  r.status = finished ? "finished" : interrupted ? "interrupted" : "failed";
  const std::string log = sweep_path(s_, File::sweep_log, r.name);
  r.note = finished || interrupted ? "" : format("exit %d: %s (log: %s)", e.code, last_line(log).c_str(), log.c_str());
  save_sweep(s_);
  board_.ended(a.run, finished);
  const std::string times =
      format("wall %s, CPU %s", format_duration(wall).c_str(), format_duration(e.cpu_seconds).c_str());
  progress_note(finished ? format("%s: finished (%s)", r.name.c_str(), times.c_str())
                : interrupted
                    ? format("%s: stopped at step %lld, %s (%s)", r.name.c_str(), static_cast<long long>(step),
                             state == RunState::resumable ? "state saved" : "before it saved a state", times.c_str())
                    : format("%s: failed, %s", r.name.c_str(), r.note.c_str()));
}

// Every run stops after its current step and saves its state; nothing new starts.
void Runner::stop() {
  stopping_ = true;
  progress_note(
      format("sweep: stopping %zu run%s; each saves its state", active_.size(), active_.size() == 1 ? "" : "s"));
  for (const Active& a : active_) signal_child(a.child, SIGINT);
}

RunOutcome Runner::run() {
  const InterruptScope interrupts;
  while (!active_.empty() || (!queue_.empty() && !stopping_)) {
    if (!stopping_ && interrupt_requested()) stop();
    while (!stopping_ && !queue_.empty() && int(active_.size()) < std::max(1, o_.jobs)) {
      launch(queue_.front());
      queue_.pop_front();
    }
    for (size_t k = 0; k < active_.size();) {
      const auto e = poll_child(active_[k].child);
      if (!e) {
        ++k;
        continue;
      }
      record(active_[k], *e);
      active_.erase(active_.begin() + long(k));
    }
    board_.draw();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  board_.finish();
  update_session();
  save_sweep(s_);
  RunOutcome out;
  out.total = int(s_.runs.size());
  out.stopped = stopping_;
  for (const Run& r : s_.runs) {
    out.finished += r.status == "finished";
    out.interrupted += r.status == "interrupted";
    if (r.status == "failed") out.failures.push_back(r.name + ": " + r.note);
  }
  out.failed = int(out.failures.size());
  return out;
}

}  // namespace

RunOutcome run_sweep(const std::string& dir, const RunOptions& options) {
  CS_CHECK(options.jobs >= 1, "--jobs must be at least 1, got " << options.jobs);
  Sweep s = load_sweep(dir);
  const std::vector<RunState> states = states_of(s);
  return Runner(std::move(s), options, states).run();
}

}  // namespace cs::sweep
