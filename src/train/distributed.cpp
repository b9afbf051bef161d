#include "train/distributed.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "core/error.h"

#ifdef CS_WITH_MPI
#include <mpi.h>
#endif

namespace cs::dist {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// FNV-1a: enough to tell whether the ranks' weights drifted apart, which they never should.
uint64_t fingerprint(const void* data, size_t bytes) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < bytes; ++i) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

#ifdef CS_WITH_MPI
// Set by mpirun (OpenMPI), srun --mpi=pmix and Hydra. Without one of them this process was not
// started as a rank, and MPI is left alone: MPI_Init would start a singleton runtime (a helper
// daemon) for nothing, and a plain run must behave exactly as it does without MPI.
bool launched_as_rank() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"})
    if (std::getenv(name)) return true;
  return false;
}

// MPI's count is an int: larger buffers go in pieces.
constexpr size_t kChunk = size_t(1) << 30;

void sum_in_place(void* data, size_t n, size_t elem_bytes, MPI_Datatype type) {
  auto* p = static_cast<char*>(data);
  for (size_t done = 0; done < n; done += kChunk) {
    const int count = int(std::min(kChunk, n - done));
    MPI_Allreduce(MPI_IN_PLACE, p + done * elem_bytes, count, type, MPI_SUM, MPI_COMM_WORLD);
  }
}
#endif

}  // namespace

Group& world() {
  static Group group = [] {
    Group g;
#ifdef CS_WITH_MPI
    if (launched_as_rank()) {
      // Only the thread that runs the training loop calls MPI; OpenMP's threads never do.
      int provided = 0;
      MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
      std::atexit([] { MPI_Finalize(); });
      MPI_Comm_rank(MPI_COMM_WORLD, &g.rank_);
      MPI_Comm_size(MPI_COMM_WORLD, &g.size_);
    }
#else
    const char* n = std::getenv("OMPI_COMM_WORLD_SIZE");
    CS_CHECK(!n || std::atoi(n) <= 1, "started by mpirun as one of " << n << " ranks, but this circuitscope was built "
                                      "without MPI (install libopenmpi-dev and build again)");
#endif
    return g;
  }();
  return group;
}

void Group::average(std::vector<float>& values) {
  if (size_ == 1) return;
  const auto t0 = Clock::now();
#ifdef CS_WITH_MPI
  sum_in_place(values.data(), values.size(), sizeof(float), MPI_FLOAT);
#endif
  const float scale = 1.0f / float(size_);
  for (float& v : values) v *= scale;
  reduce_seconds_ += seconds_since(t0);
}

void Group::average(std::vector<double>& values) {
  if (size_ == 1) return;
  const auto t0 = Clock::now();
#ifdef CS_WITH_MPI
  sum_in_place(values.data(), values.size(), sizeof(double), MPI_DOUBLE);
#endif
  for (double& v : values) v /= double(size_);
  reduce_seconds_ += seconds_since(t0);
}

void Group::barrier() {
#ifdef CS_WITH_MPI
  if (size_ > 1) MPI_Barrier(MPI_COMM_WORLD);
#endif
}

bool Group::same_everywhere(const void* data, size_t bytes) {
  if (size_ == 1) return true;
  const uint64_t h = fingerprint(data, bytes);
  uint64_t max_and_not_min[2] = {h, ~h};
#ifdef CS_WITH_MPI
  MPI_Allreduce(MPI_IN_PLACE, max_and_not_min, 2, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
#endif
  return max_and_not_min[0] == ~max_and_not_min[1];
}

void Group::abort(const std::string& message) const {
  if (!is_root()) std::this_thread::sleep_for(std::chrono::seconds(2));
  std::fprintf(stderr, "circuitscope: error: %s%s\n", is_root() ? "" : ("rank " + std::to_string(rank_) + ": ").c_str(),
               message.c_str());
  std::fflush(stderr);
#ifdef CS_WITH_MPI
  MPI_Abort(MPI_COMM_WORLD, 1);
#endif
  std::_Exit(1);
}

}  // namespace cs::dist
