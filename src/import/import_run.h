#pragma once
// `import`: Hugging Face model folders (GPT-2, GPT-NeoX/Pythia) into one run folder whose snapshots
// every analysis reads (docs/import.md). Everything is checked and written in OUT.partial, renamed
// into place at the end: a refused input leaves nothing behind.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "run/run_config.h"

namespace cs::hf {

struct ImportOptions {
  std::vector<std::string> folders;
  std::string out;
  std::vector<int64_t> steps;  // one per folder; empty: from folder names step<N>
  int64_t tokens_per_step = 2097152;  // Pythia's 1024 sequences of 2048 tokens
  bool force = false;                 // replace a run already in out
};

// The step of each folder, in the folders' order: --steps, or a folder named step<N>, or 0 for a
// single folder named otherwise. Repeated steps are an error.
std::vector<int64_t> folder_steps(const ImportOptions& o);

// Writes the run; `progress` gets one line per snapshot written. Returns its config.
run::RunConfig import_run(const ImportOptions& o, const std::function<void(const std::string&)>& progress);

}  // namespace cs::hf
