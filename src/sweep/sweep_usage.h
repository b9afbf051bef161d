#pragma once
// How well a sweep used the machine (docs/sweep.md, "Usage"): over every `sweep run` session, the
// runs' CPU time against the cores the session had for its wall time; and the sweep's own cost
// (planning, scheduling, this report) against the runs' training time.
#include <nlohmann/json.hpp>
#include <string>

#include "sweep/plan.h"

namespace cs::sweep {

struct SweepUsage {
  int sessions = 0;
  double wall_seconds = 0;       // summed over sessions
  double core_seconds = 0;       // wall × cores, summed over sessions
  double runs_cpu_seconds = 0;   // within those sessions
  double utilisation = 0;        // runs_cpu_seconds / core_seconds
  double training_cpu_seconds = 0;  // every run's recorded CPU time
  double plan_cpu_seconds = 0, scheduling_cpu_seconds = 0, report_cpu_seconds = 0;
  double overhead = 0;           // (plan + scheduling + report) / training
};

SweepUsage sweep_usage(const Sweep& sweep, double report_cpu_seconds);

// One sentence, or why there is nothing to say yet.
std::string usage_sentence(const SweepUsage& usage);
nlohmann::ordered_json to_json(const SweepUsage& usage);

}  // namespace cs::sweep
