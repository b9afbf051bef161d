#pragma once
// The per-snapshot analyses as plain calls: each subcommand (circuits, heads, paths, ablate,
// probes, analyze) parses into one of these; `analyze` runs the others in a row, `demo` runs
// `analyze`.
#include <cstdint>
#include <string>
#include <vector>

namespace cs::cli {

struct CircuitsArgs {
  std::string run;
  std::string snapshot = "last";
  int64_t top_k = 10;
  int64_t n_sources = 200;
  int64_t per_head = 50;
  std::string sources;
  std::string only;  // "", "circuits" or "composition"
  std::string head;  // "L.H": print that head's tables
  int threads = 2;
};
void run_circuits(const CircuitsArgs& args);

struct HeadsArgs {
  std::string run;
  std::string snapshot = "last";
  bool over_training = false;
  int text_sequences = 32;
  int training_text_sequences = 8;
  uint64_t seed = 0;
  int threads = 0;
};
void run_heads(const HeadsArgs& args);

struct PathsArgs {
  std::string run;
  std::string snapshot = "last";
  int64_t sequences = 16;
  int64_t term_sequences = 8;
  bool no_virtual = false;
  int batch = 8;
  int threads = 0;
};
void run_paths(const PathsArgs& args);

struct AblateArgs {
  std::string run;
  bool full = false;
  std::string snapshots = "all";  // all | last | a snapshot's step
  int batch = 8;
  int threads = 0;
  int64_t max_sequences = 0;
};
void run_ablate(const AblateArgs& args);

struct ProbesArgs {
  std::string run;
  std::string snapshot = "last";
  std::vector<std::string> names;
  std::string context, answer;
  int threads = 0;
};
void run_probes(const ProbesArgs& args);

struct AnalyzeArgs {
  std::string run;
  std::string snapshot = "last";
  bool over_training = false;
  std::vector<std::string> skip;
  int threads = 0;
};
void run_analyze(const AnalyzeArgs& args);

}  // namespace cs::cli
