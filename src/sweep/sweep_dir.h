#pragma once
// The sweep folder (docs/sweep.md): made by `sweep plan` (the shared token folders, then
// sweep.json), read by every other sweep command with one-line errors, and rewritten atomically
// whenever a run's record changes. Where each run and its log live, and how far a run has got.
#include <functional>
#include <string>
#include <vector>

#include "core/files.h"
#include "sweep/plan.h"
#include "sweep/sweep_json.h"

namespace cs::sweep {

// Plans the grid (make_plan), makes its token folders in OUT and writes OUT/sweep.json, last: a
// folder without sweep.json holds no sweep yet. OUT must not hold one already. `log` hears the
// tokenizer's progress.
Sweep create_sweep(const PlanRequest& request, const std::vector<TrainFlag>& known,
                   const std::function<void(const std::string&)>& log = {});

// DIR/sweep.json, checked: a missing folder or file, invalid JSON or a wrong field is a cs::Error
// of one line naming the file. The sweep's root becomes DIR as an absolute path.
Sweep load_sweep(const std::string& dir);
void save_sweep(const Sweep& sweep);


// A file of the sweep folder; `name` replaces RUN or VOCAB in the table's path (core/files.h).
std::string sweep_path(const Sweep& sweep, File file, const std::string& name = "");
std::string run_dir(const Sweep& sweep, const Run& run);

// Whether DIR holds a sweep (DIR/sweep.json), and the folders of its runs that have a snapshot,
// in the sweep's order: what `serve DIR` shows.
bool is_sweep_folder(const std::string& dir);
std::vector<std::string> runs_with_snapshots(const Sweep& sweep);

// How far a run's folder has got: nothing yet (or a setup cut short), a run with a state to
// resume from, a run stopped before it saved any state (it starts again), or finished (its last
// snapshot written and evaluated).
enum class RunState { fresh, resumable, restart, finished };
RunState run_state(const Sweep& sweep, const Run& run);

// The `train` arguments that take a run on from `state`, paths absolute (runnable from anywhere):
// its whole train flags when it starts (with --force when it starts again, and with --threads
// `threads` when its flags set none and threads > 0), `--out RUN --resume` when it has a state
// (it keeps its own threads), nothing when it has finished.
std::vector<std::string> train_args(const Sweep& sweep, const Run& run, RunState state, int threads);

}  // namespace cs::sweep
