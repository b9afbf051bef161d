#pragma once
// Ctrl-C and SIGTERM during training: every run in progress saves its state and stops before its
// next step, so `train --resume` can continue it (README.md). The signals are taken by one thread
// that waits for them and never interrupt the threads that compute: a handler that ran in the
// middle of a oneDNN sgemm corrupted the heap in about one interrupted run in seven.
namespace cs {

// Called first in main(), before any other thread starts: blocks SIGINT and SIGTERM in every
// thread and starts the thread that waits for them. Outside training they end the process as
// they would by default.
void take_signals_on_a_thread();

// While one exists, SIGINT and SIGTERM set interrupt_requested() instead of ending the process: a
// handler is installed for the scopes' lifetime (it serves callers that did not
// take_signals_on_a_thread, such as a library user or a test, and threads that were started before
// main), and the caller's own handlers come back after the last scope ends.
class InterruptScope {
 public:
  InterruptScope();
  ~InterruptScope();
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;
};

// The signal received during the current scopes, 0 if none.
int interrupt_requested();

}  // namespace cs
