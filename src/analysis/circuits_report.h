#pragma once
// Every weight-only analysis of docs/circuits.md on one set of weights, and its files:
// analysis/circuits.json (per head: OV/QK eigenvalues, copying scores, norms, skip-trigrams;
// direct-path bigrams), analysis/composition.json, and the .npy arrays behind the pictures.
// Pictures are drawn by report/plot_circuits.h from the same result.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "analysis/composition.h"
#include "analysis/eigen.h"
#include "analysis/model_circuits.h"
#include "analysis/skip_trigrams.h"
#include "run/run_dir.h"

namespace cs::data {
class Tokenizer;
}

namespace cs::analysis {

struct CircuitsOptions {
  SkipTrigramOptions skip;
  bool skip_trigrams = true;  // false: spectra and composition only (no pass over the vocabulary)
  bool composition = true;    // false: leave composition out (reported as skipped)
  int baseline_samples = 32;  // random pairs behind the composition baseline
  uint64_t seed = 0;          // for the baseline
  int64_t n_bigrams = 100;    // direct-path bigrams listed in circuits.json
};

// Previous-token scores of every head ([layer * n_heads + head]) and where they came from.
struct PrevTokenScores {
  std::vector<double> values;
  std::string source;
};

struct CircuitsAnalysis {
  Config cfg;
  std::string caveat;  // circuit_caveat(cfg)
  std::vector<HeadSpectrum> spectra;
  std::vector<int64_t> sources;
  std::string sources_note;  // how the sources were chosen
  int64_t n_bigrams = 100;
  SkipTrigramResult skip;
  // Composition: pairs empty and `composition_skipped` set when the model has one layer.
  std::vector<CompositionPair> pairs;
  CompositionBaseline baseline;
  std::vector<InductionAxis> axes;  // empty when no previous-token scores were at hand
  PrevTokenScores prev;
  std::string composition_skipped, axes_skipped;
  // Wall seconds of each part, for the benchmark and the log.
  double seconds_grams = 0, seconds_spectra = 0, seconds_skip = 0, seconds_composition = 0;
};

// Runs everything on one snapshot's circuits. `prev`: measured previous-token scores, or nullopt to
// use positional_previous_token's weight-only stand-in (none for rotary models: the induction axes
// are then skipped with a note).
CircuitsAnalysis analyze_circuits(const ModelCircuits& circuits, const std::vector<int64_t>& sources,
                                  const std::string& sources_note, const CircuitsOptions& options,
                                  const std::optional<PrevTokenScores>& prev = std::nullopt);

nlohmann::ordered_json circuits_json(const CircuitsAnalysis& a, const data::Tokenizer* tokenizer);
nlohmann::ordered_json composition_json(const CircuitsAnalysis& a);
// The parts of one head's entry in circuits.json, for a page that shows one head at a time:
// eigenvalues as [re, im] pairs, the norm of each QK part by name, ranked skip-trigrams.
nlohmann::ordered_json eigen_json(const std::vector<std::complex<double>>& eigenvalues);
nlohmann::ordered_json qk_part_norms_json(const HeadSpectrum& spectrum, const Config& cfg);
nlohmann::ordered_json skip_trigrams_json(const std::vector<SkipTrigram>& ranked, const data::Tokenizer* tokenizer);

// The arrays behind the pictures and tables, into the run's analysis folder (names in docs/circuits.md):
// ov_eigenvalues.npy, qk_eigenvalues.npy [L, H, d_head, 2] (re, im); copying_scores.npy [L, H, 2]
// (OV, QK); skip_sources.npy [S]; skip_destinations.npy, skip_outputs.npy [L, H, S, k] (ids) with
// skip_destination_values.npy, skip_output_values.npy; and with 2+ layers composition_q/k/v.npy
// [n_pairs, H, H] and induction_scatter.npy [n, 4] (layer, head, OV copying score, QK score).
// Returns the files written.
std::vector<File> write_circuit_arrays(const CircuitsAnalysis& a, const run::RunDir& run);

}  // namespace cs::analysis
