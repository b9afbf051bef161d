#include "sweep/sweep_usage.h"

#include "core/format.h"
#include "train/progress.h"

namespace cs::sweep {

SweepUsage sweep_usage(const Sweep& s, double report_cpu_seconds) {
  SweepUsage u;
  u.sessions = int(s.sessions.size());
  for (const Session& x : s.sessions) {
    u.wall_seconds += x.wall_seconds;
    u.core_seconds += x.wall_seconds * x.cores;
    u.runs_cpu_seconds += x.runs_cpu_seconds;
    u.scheduling_cpu_seconds += x.own_cpu_seconds;
  }
  for (const Run& r : s.runs) u.training_cpu_seconds += r.cpu_seconds;
  u.plan_cpu_seconds = s.plan_cpu_seconds;
  u.report_cpu_seconds = report_cpu_seconds;
  u.utilisation = u.core_seconds > 0 ? u.runs_cpu_seconds / u.core_seconds : 0;
  const double own = u.plan_cpu_seconds + u.scheduling_cpu_seconds + u.report_cpu_seconds;
  u.overhead = u.training_cpu_seconds > 0 ? own / u.training_cpu_seconds : 0;
  return u;
}

std::string usage_sentence(const SweepUsage& u) {
  if (u.sessions == 0 || u.training_cpu_seconds <= 0)
    return "No `sweep run` session is recorded, so the sweep's use of the machine is not known.";
  return format(
      "Over %d `sweep run` session%s (%s wall), the runs used %.1f%% of the cores' time (%s of CPU out of %s). "
      "The sweep's own work took %.2f%% of the runs' training CPU time (%s): planning %s, scheduling %s, "
      "this report %s.",
      u.sessions, u.sessions == 1 ? "" : "s", format_duration(u.wall_seconds).c_str(), 100 * u.utilisation,
      format_duration(u.runs_cpu_seconds).c_str(), format_duration(u.core_seconds).c_str(), 100 * u.overhead,
      format_duration(u.training_cpu_seconds).c_str(), format_duration(u.plan_cpu_seconds).c_str(),
      format_duration(u.scheduling_cpu_seconds).c_str(), format_duration(u.report_cpu_seconds).c_str());
}

nlohmann::ordered_json to_json(const SweepUsage& u) {
  return {{"sessions", u.sessions},
          {"wall_seconds", u.wall_seconds},
          {"core_seconds", u.core_seconds},
          {"runs_cpu_seconds", u.runs_cpu_seconds},
          {"utilisation", u.utilisation},
          {"training_cpu_seconds", u.training_cpu_seconds},
          {"plan_cpu_seconds", u.plan_cpu_seconds},
          {"scheduling_cpu_seconds", u.scheduling_cpu_seconds},
          {"report_cpu_seconds", u.report_cpu_seconds},
          {"overhead", u.overhead}};
}

}  // namespace cs::sweep
