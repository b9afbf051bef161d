// `circuitscope circuits RUN`: the weight-only circuit analyses of one snapshot (docs/circuits.md):
// eigenvalues and copying scores of every head, skip-trigrams for a bounded set of source tokens,
// direct-path bigrams, composition scores with their random baseline and the induction QK axes.
#include <cstdio>
#include <memory>
#include <vector>
#include <sstream>

#include "analysis/circuits_report.h"
#include "cli/commands.h"
#include "cli/tables.h"
#include "core/error.h"
#include "core/gemm.h"
#include "data/tokenizer.h"
#include "pipeline/analyses.h"
#include "pipeline/analysis_files.h"

namespace cs::cli {

namespace {

struct CircuitsArgs {
  std::string run;
  std::string snapshot = "last";
  int64_t n_sources = 200;
  std::string sources;  // comma-separated
  std::string only;  // "", "circuits" or "composition"
  std::string head;  // "L.H": print that head's tables
  int threads = 0;
  analysis::CircuitsOptions options;
};

// Commas separate; everything else, spaces included, is part of a token.
std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out(1);
  for (char c : s) {
    if (c == ',') out.emplace_back();
    else out.back().push_back(c);
  }
  return out;
}

std::pair<int, int> parse_head(const std::string& s, const Config& cfg) {
  std::istringstream in(s);
  int l = -1, h = -1;
  char dot = 0;
  CS_CHECK((in >> l >> dot >> h) && dot == '.' && (in >> std::ws).eof(),
           "--head expects LAYER.HEAD (e.g. 1.4), got '" << s << "'");
  analysis::check_head(cfg, l, h);
  return {l, h};
}

void run_circuits(const CircuitsArgs& args) {
  set_num_threads(args.threads > 0 ? args.threads : default_threads());
  CS_CHECK(args.only.empty() || args.only == "circuits" || args.only == "composition",
           "--only expects circuits or composition, got '" << args.only << "'");
  const run::RunDir run(args.run);
  const Config& cfg = run.config().model;
  if (args.only == "composition")
    CS_CHECK(cfg.n_layers >= 2, "composition needs 2+ layers; " << args.run << " has " << cfg.n_layers);
  std::optional<std::pair<int, int>> head;
  if (!args.head.empty()) head = parse_head(args.head, cfg);
  const run::Snapshot snap = run.snapshot(args.snapshot);
  pipeline::CircuitsRequest request;
  request.options = args.options;
  request.options.skip_trigrams = args.only != "composition";
  request.options.composition = args.only != "circuits";
  if (!args.sources.empty()) request.sources = split_commas(args.sources);
  request.n_sources = args.n_sources;
  const pipeline::CircuitsRun c = pipeline::circuits(run, snap, request);
  if (!c.tokenizer)
    std::fprintf(stderr, "circuitscope circuits: no tokenizer (%s); tokens shown as #id\n", c.tokenizer_note.c_str());
  const analysis::CircuitsAnalysis& a = c.analysis;
  const data::Tokenizer* tok = c.tokenizer.get();
  const std::vector<File> written = pipeline::save(run, a, snap.info, tok, {request.options.skip_trigrams, request.options.composition});
  print(a, snap.info);
  if (head) print_head(a, head->first, head->second, tok, 10);
  std::printf("wrote %zu files into %s\n", written.size(), run.path(File::analysis_dir).c_str());
}

}  // namespace

void register_circuits(CLI::App& app) {
  auto args = std::make_shared<CircuitsArgs>();
  auto* cmd = app.add_subcommand(
      "circuits",
      "Weight-only circuits of a snapshot: OV/QK eigenvalues and copying scores of every head, "
      "skip-trigrams 'a … d → b' for a set of source tokens, direct-path bigrams, Q/K/V "
      "composition scores with a random baseline and the induction QK axis. Writes "
      "RUN/analysis/circuits.json, composition.json, .npy arrays and pictures (docs/circuits.md).");
  add_run_options(cmd, args->run, &args->snapshot, args->threads);
  cmd->add_option("--top-k", args->options.skip.top_k, "destinations and outputs kept per source and head")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--sources", args->sources,
                  "source tokens for the skip-trigrams, comma-separated: as shown in the tables, "
                  "#ID, or text that is one token (default: the most frequent training tokens)")
      ->type_name("TOK,TOK,...");
  cmd->add_option("--n-sources", args->n_sources, "how many most frequent tokens by default")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--per-head", args->options.skip.per_head, "ranked skip-trigrams listed per head")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--only", args->only,
                  "only the circuits (eigenvalues, skip-trigrams) or only "
                  "composition (an error for a 1-layer run)")
      ->type_name("circuits|composition");
  cmd->add_option("--head", args->head, "print this head's copying scores and skip-trigrams")->type_name("LAYER.HEAD");
  cmd->callback([args] { run_circuits(*args); });
}

}  // namespace cs::cli
