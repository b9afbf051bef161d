#include "cli/commands.h"
#include "core/error.h"

namespace cs::cli {

void register_tokenize(CLI::App& app) {
  auto* cmd = app.add_subcommand("tokenize", "not yet implemented");
  cmd->callback([] { cs::fail("'tokenize' is not implemented yet"); });
}

}  // namespace cs::cli
