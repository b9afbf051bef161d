#include "cli/commands.h"
#include "core/error.h"

namespace cs::cli {

void register_icl(CLI::App& app) {
  auto* cmd = app.add_subcommand("icl", "not yet implemented");
  cmd->callback([] { cs::fail("'icl' is not implemented yet"); });
}

}  // namespace cs::cli
