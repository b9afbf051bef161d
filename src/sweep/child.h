#pragma once
// A run that `sweep run` trains: this same binary started as a child process (`train …`), so that
// every run has the progress, resume and interrupt handling of a `train` typed by hand. It runs in
// a process group of its own (a Ctrl-C reaches only the sweep, which passes it on to every run at
// once), writes its output to a log file, and is sent SIGTERM (it saves its state) should the
// sweep die without stopping it.
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace cs::sweep {

struct Child {
  pid_t pid = -1;
};

// Starts `binary args…` with stdout and stderr appended to `log` (created, with its folder),
// after a line that says when and what. Throws cs::Error when it cannot be started.
Child start_child(const std::string& binary, const std::vector<std::string>& args, const std::string& log);

struct ChildExit {
  int code = 0;            // its exit status; 128 + the signal when a signal ended it; -1 when unknown
  int signal = 0;          // the signal that ended it, 0 when it exited
  double cpu_seconds = 0;  // user + system time
};

// Its exit once it has ended, without waiting.
std::optional<ChildExit> poll_child(const Child& child);

void signal_child(const Child& child, int signal);

// This process's own CPU time (every thread, user + system; not its children's).
double process_cpu_seconds();

}  // namespace cs::sweep
