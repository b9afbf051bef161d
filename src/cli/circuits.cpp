// `circuitscope circuits RUN`: the weight-only circuit analyses of one snapshot (SPEC.md §3-4):
// eigenvalues and copying scores of every head, skip-trigrams for a bounded set of source tokens,
// direct-path bigrams, composition scores with their random baseline and the induction QK axes.
// Writes RUN/analysis/circuits.json, composition.json, .npy arrays and pictures.
#include "analysis/circuits.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "analysis/circuits_report.h"
#include "cli/analyses.h"
#include "cli/commands.h"
#include "cli/run_inputs.h"
#include "core/error.h"
#include "core/gemm.h"
#include "data/tokenizer.h"
#include "io/atomic_file.h"
#include "report/plot_circuits.h"
#include "run/run_config.h"
#include "run/snapshot.h"

namespace cs::cli {

namespace {

namespace fs = std::filesystem;

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == ',') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

// A token as the user typed it: its display form (as in the tables), "#ID", or text that
// encodes to exactly one token.
int64_t token_id(const std::string& text, const data::Tokenizer* tok, int d_vocab) {
  if (text.size() > 1 && text[0] == '#' &&
      text.find_first_not_of("0123456789", 1) == std::string::npos) {
    const int64_t id = std::stoll(text.substr(1));
    CS_CHECK(id < d_vocab,
             "token " << text << " is not in the vocabulary (ids 0.." << d_vocab - 1 << ")");
    return id;
  }
  CS_CHECK(tok, "cannot look up token '" << text << "' without the run's tokenizer; give #ID");
  for (int32_t id = 0; id < tok->d_vocab(); ++id)
    if (tok->piece(id) == text) return id;
  const std::vector<int32_t> ids = tok->encode(text);
  CS_CHECK(ids.size() == 1, "token '" << text << "' is not in the vocabulary (it encodes to "
                                      << ids.size() << " tokens)");
  return ids[0];
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

// Measured previous-token scores from the head evaluators' heads.json, when it has all of them.
std::optional<analysis::PrevTokenScores> measured_prev_token(const std::string& dir,
                                                             const Config& cfg) {
  const fs::path path = fs::path(dir) / "heads.json";
  if (!fs::exists(path)) return std::nullopt;
  const nlohmann::json j = nlohmann::json::parse(io::read_file(path.string()), nullptr, false);
  if (!j.is_object() || !j.contains("heads") || !j["heads"].is_array()) return std::nullopt;
  std::vector<double> v(static_cast<size_t>(cfg.n_layers * cfg.n_heads), NAN);
  for (const auto& h : j["heads"]) {
    if (!h.is_object() || !h.contains("layer") || !h.contains("head") ||
        !h.contains("previous_token") || !h["previous_token"].is_number())
      continue;
    const int l = h["layer"].get<int>(), k = h["head"].get<int>();
    if (l >= 0 && l < cfg.n_layers && k >= 0 && k < cfg.n_heads)
      v[size_t(l * cfg.n_heads + k)] = h["previous_token"].get<double>();
  }
  for (double x : v)
    if (!std::isfinite(x)) return std::nullopt;
  return analysis::PrevTokenScores{v, "analysis/heads.json previous_token (measured)"};
}

void print_head(const analysis::CircuitsAnalysis& a, int l, int h, const data::Tokenizer* tok,
                int64_t rows) {
  const size_t i = size_t(l * a.cfg.n_heads + h);
  const analysis::HeadSpectrum& s = a.spectra[i];
  std::printf("head %d.%d: OV copying score %+.3f, QK copying score %+.3f\n", l, h,
              s.ov_copying_score, s.qk_copying_score);
  if (i >= a.skip.heads.size()) return;
  std::printf("  strongest skip-trigrams (source … destination → output, strength):\n");
  const auto& ranked = a.skip.heads[i].ranked;
  for (size_t r = 0; r < ranked.size() && int64_t(r) < rows; ++r) {
    const auto& t = ranked[r];
    std::printf("    %-16s … %-16s → %-16s %8.2f\n",
                ("'" + analysis::token_string(t.source, tok) + "'").c_str(),
                ("'" + analysis::token_string(t.destination, tok) + "'").c_str(),
                ("'" + analysis::token_string(t.output, tok) + "'").c_str(), t.strength);
  }
}

}  // namespace

void run_circuits(const CircuitsArgs& args) {
  set_num_threads(args.threads);
  CS_CHECK(args.only.empty() || args.only == "circuits" || args.only == "composition",
           "--only expects circuits or composition, got '" << args.only << "'");
  const run::RunConfig rc = run::read_run_config(args.run);
  const Config& cfg = rc.model;
  if (args.only == "composition")
    CS_CHECK(cfg.n_layers >= 2,
             "composition needs 2+ layers; " << args.run << " has " << cfg.n_layers);
  std::optional<std::pair<int, int>> head;
  if (!args.head.empty()) head = parse_head(args.head, cfg);

  const std::string snap = run::resolve_snapshot(args.run, args.snapshot);
  run::SnapshotInfo info;
  const Params<float> params = run::read_snapshot(snap, cfg, &info, rc.run_id);

  std::unique_ptr<data::Tokenizer> tok;
  try {
    tok = data::load_tokenizer(args.run);
  } catch (const Error& e) {
    std::fprintf(stderr, "circuitscope circuits: no tokenizer (%s); tokens shown as #id\n",
                 e.what());
  }
  std::vector<int64_t> sources;
  std::string note;
  if (!args.sources.empty()) {
    for (const std::string& t : split_commas(args.sources))
      sources.push_back(token_id(t, tok.get(), cfg.d_vocab));
    note = "given on the command line";
  } else if (args.only != "composition") {
    CS_CHECK(tok, args.run << " has no tokenizer to find the most frequent tokens; give --sources");
    sources = analysis::most_frequent_tokens(run_token_counts(args.run, cfg.d_vocab), args.n_sources, tok->bos_id());
    note = "the " + std::to_string(sources.size()) +
           " most frequent tokens of the training split (BOS left out)";
  }

  analysis::CircuitsOptions o;
  o.skip.top_k = args.top_k;
  o.skip.per_head = args.per_head;
  o.skip_trigrams = args.only != "composition";
  o.composition = args.only != "circuits";
  const auto prev = measured_prev_token((fs::path(args.run) / "analysis").string(), cfg);
  const analysis::CircuitsAnalysis a = analysis::analyze_circuits(params, sources, note, o, prev);

  const std::string out = (fs::path(args.run) / "analysis").string();
  fs::create_directories(out);
  std::vector<std::string> written;
  auto stamp = [&](nlohmann::ordered_json j) {
    nlohmann::ordered_json s;
    s["snapshot_step"] = info.step;
    s["snapshot_tokens"] = info.tokens;
    s["run_id"] = rc.run_id;
    s.update(j);
    return s;
  };
  if (args.only != "composition") {
    io::write_file_atomic(out + "/circuits.json",
                          stamp(analysis::circuits_json(a, tok.get())).dump(2) + "\n");
    written.push_back("circuits.json");
  }
  if (args.only != "circuits") {
    io::write_file_atomic(out + "/composition.json",
                          stamp(analysis::composition_json(a)).dump(2) + "\n");
    written.push_back("composition.json");
  }
  for (const auto& n : analysis::write_circuit_arrays(a, out)) written.push_back(n);
  for (const auto& n : report::save_circuit_pictures(a, out)) written.push_back(n);

  std::printf("snapshot step %lld: %d layers x %d heads\n", (long long)info.step, cfg.n_layers,
              cfg.n_heads);
  if (!a.caveat.empty()) std::printf("note: %s\n", a.caveat.c_str());
  for (const auto& s : a.spectra)
    std::printf("  head %d.%d  OV copying %+.3f  QK copying %+.3f\n", s.layer, s.head,
                s.ov_copying_score, s.qk_copying_score);
  if (!a.composition_skipped.empty())
    std::printf("composition: %s\n", a.composition_skipped.c_str());
  else
    std::printf("composition: %zu layer pairs, random baseline %.4f\n", a.pairs.size(),
                a.baseline.mean);
  if (head) print_head(a, head->first, head->second, tok.get(), 10);
  std::printf("wrote %zu files into %s (%.2f s)\n", written.size(), out.c_str(),
              a.seconds_grams + a.seconds_spectra + a.seconds_skip + a.seconds_composition);
}

void register_circuits(CLI::App& app) {
  auto args = std::make_shared<CircuitsArgs>();
  auto* cmd = app.add_subcommand(
      "circuits",
      "Weight-only circuits of a snapshot: OV/QK eigenvalues and copying scores of every head, "
      "skip-trigrams 'a … d → b' for a set of source tokens, direct-path bigrams, Q/K/V "
      "composition scores with a random baseline and the induction QK axis. Writes "
      "RUN/analysis/circuits.json, composition.json, .npy arrays and pictures (docs/circuits.md).");
  cmd->add_option("run", args->run, "run folder")
      ->required()
      ->type_name("RUN")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--snapshot", args->snapshot, "snapshot step, or last")
      ->capture_default_str()
      ->type_name("STEP|last");
  cmd->add_option("--top-k", args->top_k, "destinations and outputs kept per source and head")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--sources", args->sources,
                  "source tokens for the skip-trigrams, comma-separated: as shown in the tables, "
                  "#ID, or text that is one token (default: the most frequent training tokens)")
      ->type_name("TOK,TOK,...");
  cmd->add_option("--n-sources", args->n_sources, "how many most frequent tokens by default")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--per-head", args->per_head, "ranked skip-trigrams listed per head")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--only", args->only,
                  "only the circuits (eigenvalues, skip-trigrams) or only "
                  "composition (an error for a 1-layer run)")
      ->type_name("circuits|composition");
  cmd->add_option("--head", args->head, "print this head's copying scores and skip-trigrams")
      ->type_name("LAYER.HEAD");
  cmd->add_option("--threads", args->threads, "threads")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->callback([args] { run_circuits(*args); });
}

}  // namespace cs::cli
