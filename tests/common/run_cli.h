#pragma once
// Runs the circuitscope binary the way a user does and returns its exit code and output.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace cs::test {

struct CliResult {
  int code = -1;
  std::string output;  // stdout and stderr together
};

// A shell command line, such as the binary started by a launcher.
inline CliResult run_command(const std::string& command) {
  const std::string cmd = command + " 2>&1";
  CliResult r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

inline CliResult run_cli(const std::string& args) { return run_command(std::string(CS_BINARY) + " " + args); }

}  // namespace cs::test
