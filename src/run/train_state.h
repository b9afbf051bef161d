#pragma once
// snapshots/last.state: everything needed to continue a run exactly (weights, AdamW moments and
// step count, the batch sampler's RNG, the step reached). Written on a time cadence and on
// SIGINT/SIGTERM; never counted as a snapshot.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "model/params.h"

namespace cs::run {

struct TrainState {
  std::string run_id;
  int64_t step = 0;
  int64_t adam_t = 0;
  std::array<uint64_t, 4> sampler_rng{};
  std::vector<float> params, adam_m, adam_v;
};

// PATH is the run's state file (RunDir::path(File::state)).
void write_train_state(const std::string& path, const TrainState& s);
// Validates sizes against the layout and the run_id; a clear error otherwise.
TrainState read_train_state(const std::string& path, const ParamLayout& layout,
                            const std::string& run_id);

}  // namespace cs::run
