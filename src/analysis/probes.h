#pragma once
// The talk's probes as built-in prompts (docs/evaluators.md, "Probes"): a repeated paragraph
// (induction), an English sentence followed by its French translation (cross-lingual heads), and
// a made-up XOR task learned from examples in the context. For each: the model's loss on the
// answer tokens, a control (the same answer with less help from the context), and which heads
// carry the answer (the loss change when each head is ablated with patterns preserved).
#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/tokenizer.h"
#include "model/params.h"

namespace cs::analysis {

struct ProbeSegment {
  std::string text;
  bool scored = false;  // its tokens are answer tokens
};

struct Probe {
  std::string name, description;
  std::vector<ProbeSegment> prompt;
  // The same answer with less context (may be empty): the difference is what the context buys.
  std::vector<ProbeSegment> control;
  std::string control_description;
  // Two-way choices: each scored segment is one of these; accuracy compares their first tokens.
  std::vector<std::string> choices;
};

// repeated_paragraph, translation, xor.
std::vector<Probe> builtin_probes();
const Probe& builtin_probe(const std::string& name);  // error listing the names when unknown

// A user's prompt: context, then the answer (scored).
Probe custom_probe(const std::string& context, const std::string& answer);

// BOS, then each segment encoded on its own (so answer spans are exact).
struct EncodedProbe {
  std::vector<int32_t> tokens;
  std::vector<int64_t> answer_positions;  // token positions (>= 1) whose prediction is scored
  std::vector<int64_t> segment_start;     // token position of each segment's first token
};
// Errors: a prompt longer than n_ctx, a token outside the model's vocabulary, text the tokenizer
// maps to <unk>, no answer token.
EncodedProbe encode_probe(const std::vector<ProbeSegment>& segments, const data::Tokenizer& tok,
                          int n_ctx, int d_vocab, const std::string& name);

struct ProbeResult {
  std::string name, description, control_description;
  int64_t n_tokens = 0, n_answer_tokens = 0;
  double answer_loss = 0;
  double control_loss = 0;  // NaN without a control
  double accuracy = 0;      // NaN without choices
  int n_layers = 0, n_heads = 0;
  std::vector<double> head_delta_loss;  // [L * H]: answer loss with the head ablated - answer_loss
  std::string limited;                  // what the work budget cut (NaN deltas), empty when nothing
  std::vector<std::string> answer_pieces;
  // Indices into head_delta_loss (layer * n_heads + head), the largest Δ answer loss first.
  std::vector<size_t> heads_by_importance() const;
  nlohmann::ordered_json to_json() const;
};

// Beyond max_flops of forward passes (work_budget.h), only the heads that write most at the answer
// rows that fit are ablated; the others' deltas are NaN.
template <class T>
ProbeResult run_probe(const Params<T>& params, const data::Tokenizer& tok, const Probe& probe,
                      double max_flops = INFINITY);

}  // namespace cs::analysis
