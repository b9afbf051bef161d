#pragma once
// Data-parallel training across processes (docs/scale.md). A process started by an MPI launcher
// (mpirun, or srun with PMIx) is one rank of a group that trains one model together; any other
// process is a group of one, and every call here is then a no-op. This header and its source
// are the only code that knows MPI exists; without MPI at build time every group is of one.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace cs::dist {

class Group {
 public:
  int rank() const { return rank_; }
  int size() const { return size_; }
  bool is_root() const { return rank_ == 0; }

  // Every rank's values replaced by their mean over the ranks; timed in reduce_seconds().
  void average(std::vector<float>& values);
  void average(std::vector<double>& values);
  // Rank 0 has finished something the others wait for (a new run folder).
  void barrier();
  // Whether every rank holds the same bytes, on every rank.
  bool same_everywhere(const void* data, size_t bytes);
  // Seconds spent in average() so far, waiting for slower ranks included.
  double reduce_seconds() const { return reduce_seconds_; }

  // Ends every rank of the job after printing one line. A rank other than 0 waits a moment
  // first, so that an error every rank meets at once is printed once, by rank 0.
  [[noreturn]] void abort(const std::string& message) const;

 private:
  friend Group& world();
  int rank_ = 0, size_ = 1;
  double reduce_seconds_ = 0;
};

// This process's group, set up on first use; MPI, when used, is finalised at exit.
Group& world();

}  // namespace cs::dist
