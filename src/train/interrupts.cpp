#include "train/interrupts.h"

#include <pthread.h>

#include <atomic>
#include <csignal>
#include <mutex>
#include <thread>

namespace cs {

namespace {

std::atomic<int> g_signal{0};
std::mutex g_mutex;
int g_scopes = 0;
void (*g_old_int)(int) = nullptr;
void (*g_old_term)(int) = nullptr;

extern "C" void on_signal(int sig) { g_signal.store(sig); }

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

[[noreturn]] void wait_for_signals() {
  const sigset_t set = stop_signals();
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    std::lock_guard<std::mutex> lock(g_mutex);
    if (g_scopes > 0) {
      g_signal.store(sig);
      continue;
    }
    // No training to stop: the default action, which ends the process by this signal.
    std::signal(sig, SIG_DFL);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
    raise(sig);
  }
}

}  // namespace

void take_signals_on_a_thread() {
  const sigset_t set = stop_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread(wait_for_signals).detach();
}

InterruptScope::InterruptScope() {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_scopes++ > 0) return;
  g_signal.store(0);
  // Also for threads that libraries started before main() (OpenBLAS's pool), which do not block
  // the signals: they only wait for work, so a handler there is harmless.
  g_old_int = std::signal(SIGINT, on_signal);
  g_old_term = std::signal(SIGTERM, on_signal);
}

InterruptScope::~InterruptScope() {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (--g_scopes > 0) return;
  std::signal(SIGINT, g_old_int);
  std::signal(SIGTERM, g_old_term);
}

int interrupt_requested() { return g_signal.load(); }

}  // namespace cs
