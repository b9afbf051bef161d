#include <cstdio>
#include <exception>

#include "cli/commands.h"
#include "core/error.h"

int main(int argc, char** argv) {
  CLI::App app{"circuitscope: train small attention-only transformers, watch in-context learning "
               "appear, and reverse-engineer the weights into circuits."};
  app.require_subcommand(1);
  cs::cli::register_demo(app);
  cs::cli::register_tokenize(app);
  cs::cli::register_train(app);
  cs::cli::register_icl(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const cs::Error& e) {
    std::fprintf(stderr, "circuitscope: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "circuitscope: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
