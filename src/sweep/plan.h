#pragma once
// A sweep (docs/sweep.md): a grid of training runs in one folder, described by DIR/sweep.json —
// every run's name and full `train` flags, what `sweep run` recorded about it, and the results of
// `sweep report`. This file holds the grid itself: how a plan request becomes runs.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "data/prepare.h"

namespace cs::sweep {

// A flag of `train` as its command line defines it ("--lr"), and whether it takes a value.
struct TrainFlag {
  std::string name;
  bool takes_value = true;
};

struct PlanRequest {
  std::string out;
  std::vector<int> layers = {1, 2};
  std::vector<bool> mlp = {false};
  std::vector<uint64_t> seeds = {0};
  // Train flags as typed after the plan's own; a value may be a comma list, which adds an axis.
  std::vector<std::string> train_args;
  int threads = 0;  // for tokenizing (0: every core)
};

// A token folder that the runs of one vocabulary share, made once by `sweep plan`.
struct TokenFolder {
  std::string folder;  // relative to the sweep folder
  data::PrepareOptions prepare;
};

struct Run {
  std::string name;  // its folder in the sweep folder, e.g. l2-attn-s0
  int layers = 0;
  bool mlp = false;
  uint64_t seed = 0;
  std::vector<std::pair<std::string, std::string>> axes;  // the other grid flags' values, e.g. {--lr, 1e-3}
  // The whole `train` command line after `train`; the values of --corpus and --out are relative
  // to the sweep folder.
  std::vector<std::string> train;
  int64_t steps = 0, tokens_per_step = 0;
  // What `sweep run` recorded: pending | running | interrupted | finished | failed.
  std::string status = "pending";
  double wall_seconds = 0, cpu_seconds = 0, tokens_per_second = 0;
  int sessions = 0, threads = 0;
  std::string note;  // why it failed
};

// One `sweep run` session as it measured itself: how busy it kept the machine's cores, and what
// its own scheduling cost.
struct Session {
  std::string started;
  int jobs = 0, cores = 0;
  double wall_seconds = 0;
  double runs_cpu_seconds = 0;  // the runs' user + system time, over the runs that ended in it
  double own_cpu_seconds = 0;   // the sweep process's own: scheduling, progress lines, records
};

struct Sweep {
  std::string root;  // the sweep folder (not stored in sweep.json)
  std::string created;
  nlohmann::ordered_json grid;  // what was asked: layers, mlp, seeds, the other axes and the train flags
  std::vector<TokenFolder> tokens;
  std::vector<Run> runs;
  double plan_cpu_seconds = 0;     // `sweep plan`'s CPU time (tokenizing, mostly)
  std::vector<Session> sessions;   // one per `sweep run`
  nlohmann::ordered_json results;  // written by `sweep report`; null before
};

// The grid of `request`, with the demo's quick recipe (docs/demo.md) for every train flag not
// given. `known` lists the train flags; anything else, or a flag the sweep sets itself, is refused
// with one line. Nothing is written.
Sweep make_plan(const PlanRequest& request, const std::vector<TrainFlag>& known);

// The value of `flag` in a run's train flags; empty when absent or a switch.
inline std::string flag_value(const std::vector<std::string>& train, const std::string& flag) {
  for (size_t i = 0; i + 1 < train.size(); ++i)
    if (train[i] == flag) return train[i + 1];
  return "";
}

}  // namespace cs::sweep
