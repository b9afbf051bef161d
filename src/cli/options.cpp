#include "cli/commands.h"

namespace cs::cli {

void add_run_options(CLI::App* cmd, std::string& run, std::string* snapshot, int& threads) {
  cmd->add_option("run", run, "run folder")->required()->type_name("RUN")->check(CLI::ExistingDirectory);
  if (snapshot) cmd->add_option("--snapshot", *snapshot, "snapshot step, or last")->capture_default_str()->type_name("STEP|last");
  cmd->add_option("--threads", threads, "threads (default: every core)")->check(CLI::NonNegativeNumber);
}

}  // namespace cs::cli
