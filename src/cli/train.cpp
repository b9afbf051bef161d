#include "cli/commands.h"
#include "core/error.h"

namespace cs::cli {

void register_train(CLI::App& app) {
  auto* cmd = app.add_subcommand("train", "not yet implemented");
  cmd->callback([] { cs::fail("'train' is not implemented yet"); });
}

}  // namespace cs::cli
