#pragma once
// A training run end to end (README.md, "A run folder"): corpus -> tokens -> training with
// snapshots, per-token evaluation loss at every snapshot, metrics, resume.
#include <cstdint>
#include <set>
#include <string>

#include "run/run_config.h"

namespace cs {

struct TrainOptions {
  std::string corpus;  // text file or folder, a tokenize output folder, or "" for the default corpus
  std::string out;
  run::RunConfig rc;   // model and training settings; d_vocab is the tokenizer's
  bool bytes = false;  // byte-level tokens instead of BPE
  double eval_fraction = 0.1;
  bool resume = false;
  bool force = false;
  // Flags the user gave explicitly (config field names): on --resume they must agree with the
  // saved run.
  std::set<std::string> given;
  double state_every_seconds = 120;
  int64_t state_every_steps = 0;  // 0: time cadence only
  int64_t log_every = 10;
  int eval_batch = 8;
  // A step whose loss or gradient is not finite is skipped (no update; counted in metrics.jsonl)
  // instead of stopping the run.
  bool skip_nonfinite = false;
  // bf16 even on a CPU without native bf16 instructions, where it is slower than fp32; without
  // this such a run trains in fp32 and says so.
  bool insist_bf16 = false;
  std::string label = "train";
  // From step more_threads_from_step on, train on more_threads threads (0: never). The demo hands
  // the 1-layer run's core to the 2-layer run this way, at a fixed step rather than when the other
  // run ends, so that the result does not depend on timing (docs/demo.md).
  int64_t more_threads_from_step = 0;
  int more_threads = 0;
};

struct TrainResult {
  int64_t steps_done = 0;
  int64_t tokens_seen = 0;
  double final_loss = 0;
  double tokens_per_second = 0;
  double wall_seconds = 0;
  bool interrupted = false;
  int64_t skipped_steps = 0;  // non-finite steps skipped (skip_nonfinite)
  // Under mpirun (docs/scale.md): this process's rank, of how many, and the seconds it spent
  // averaging over them. Only rank 0 reports; the others' results are partial.
  int rank = 0, ranks = 1;
  double allreduce_seconds = 0;
};

// Throws cs::Error on bad input. On SIGINT/SIGTERM the state is saved and interrupted is set.
// Started as one of several MPI ranks, trains one model data-parallel with them (docs/scale.md)
// and ends the whole job on an error.
TrainResult train(const TrainOptions& options);

}  // namespace cs
