#pragma once
// The Hugging Face checkpoints of tests/data/hf (written by python/make_hf_checkpoints.py) and a
// way to import them.
#include <string>

#include "../common/run_cli.h"

namespace cs::test {

inline std::string hf_fixture(const std::string& name) { return std::string(CS_TEST_DATA) + "/hf/" + name; }

inline CliResult run_import(const std::string& args) { return run_cli("import " + args); }

}  // namespace cs::test
