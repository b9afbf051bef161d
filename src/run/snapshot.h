#pragma once
// snapshots/STEP.safetensors: float32 weights under TransformerLens state-dict names, plus the
// zero biases (b_Q, b_K, b_V, b_O, b_U) TransformerLens expects, and metadata (run_id, step,
// tokens, config) so a snapshot can be traced to its run.
#include <cstdint>
#include <string>
#include <vector>

#include "model/params.h"

namespace cs::run {

struct SnapshotInfo {
  std::string run_id;
  int64_t step = 0;
  int64_t tokens = 0;
};

void write_snapshot(const std::string& path, const Params<float>& params, const SnapshotInfo& info);

// Reads the weights of a snapshot written for this config; wrong names, shapes or dtypes are a
// cs::Error naming the tensor. expected_run_id, when non-empty, must match.
Params<float> read_snapshot(const std::string& path, const Config& cfg, SnapshotInfo* info = nullptr,
                            const std::string& expected_run_id = "");

}  // namespace cs::run
