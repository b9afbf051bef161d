#pragma once
// Helpers for the OpenMP loops.
#include <cstdint>
#include <exception>
#include <mutex>

namespace cs {

// Below this many elements a loop runs on one thread: an OpenMP fork/join costs microseconds,
// and far more when other processes share the cores (a test run beside another, say).
inline constexpr int64_t kParallelWork = int64_t(1) << 15;

// An exception that leaves an OpenMP region (or a worker thread) ends the process with SIGABRT.
// A loop whose body can throw catches into one of these inside the region and rethrows on the
// calling thread after it, so the user gets the same one-line error as anywhere else:
//   FirstError error;
//   #pragma omp parallel for
//   for (...) try { body } catch (...) { error.capture(); }
//   error.rethrow();
class FirstError {
 public:
  void capture() noexcept {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (!first_) first_ = std::current_exception();
  }
  void rethrow() const {
    if (first_) std::rethrow_exception(first_);
  }

 private:
  std::mutex mutex_;
  std::exception_ptr first_;
};

}  // namespace cs
