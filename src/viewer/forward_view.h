#pragma once
// One text through one snapshot, as the viewer shows it: the tokens, each token's loss, every
// head's attention pattern, the top predictions after each position, and on request the split of
// one position's logit into the direct path, each head and, in models of two or more layers
// without normalization, the virtual heads of the frozen-pattern path expansion
// (analysis/path_expansion.h): with the patterns fixed the model is linear in its embedding, so
// the terms add up to the logit exactly.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "data/tokenizer.h"
#include "model/activations.h"
#include "run/run_dir.h"

namespace cs::viewer {

struct TokenView {
  int32_t id = 0;
  std::string text;   // the exact text this token stands for (UTF-8; "" for BOS)
  std::string piece;  // the tokenizer's display form
};

struct Prediction {
  int32_t id = 0;
  double logit = 0, probability = 0;
};

// One position's logit of one token, term by term.
struct Attribution {
  int64_t position = 0;
  int32_t token = 0;
  std::string target;  // "next token", "top prediction" or "chosen"
  double logit = 0, probability = 0;
  double direct = 0;  // the embedding straight to W_U
  double bias = 0;    // ln_final.b W_U, b_U and every layer's b_O (0 in a model without them)
  std::vector<double> heads;  // [L * H]: everything that passes through the head's output
  // Models with MLPs: each layer's MLP output (hook_mlp_out) read out at this position, [L]. A
  // head's bar is then its own output's direct path; its effect through later MLPs is in theirs.
  std::vector<double> mlps;
  // Two or more layers, no normalization: each head of layer >= 1 reading the embedding alone
  // (its order-1 term, [L * H], 0 in layer 0) and every pair of heads in two layers (its virtual
  // heads), largest |value| first. With two layers a layer-1 head's total is its embedding term
  // plus its virtual heads; deeper models also have paths through three or more heads.
  std::vector<double> embedding_terms;
  struct Virtual {
    int layer1 = 0, head1 = 0, layer2 = 0, head2 = 0;
    double value = 0;
  };
  std::vector<Virtual> virtual_heads;
  std::string note;  // why virtual heads are missing, or what they leave out
  double sum() const;  // direct + bias + every head and MLP: equals logit up to rounding
};

class ForwardView {
 public:
  // BOS, then the text's tokens; a text that with BOS exceeds n_ctx is an ApiError (400).
  ForwardView(std::shared_ptr<const run::Snapshot> snapshot, const data::Tokenizer& tokenizer,
              const std::string& text);

  int64_t size() const { return int64_t(tokens.size()); }
  const Config& cfg() const { return snap_->params.cfg; }
  const run::SnapshotInfo& snapshot() const { return snap_->info; }
  const Activations<float>& acts() const { return *acts_; }
  // Head (layer, head)'s pattern [T, T], row = destination (query) position.
  const float* pattern(int layer, int head) const;
  // The k most likely next tokens after `position` (k at most kMaxPredictions), most likely first.
  std::vector<Prediction> predictions(int64_t position, int k) const;
  static constexpr int kMaxPredictions = 100;
  // `token`: which logit to split; by default the next token of the text, or after the last
  // position the top prediction. Out-of-range arguments are an ApiError (400).
  Attribution attribution(int64_t position, std::optional<int32_t> token = std::nullopt) const;

  std::vector<TokenView> tokens;
  std::vector<double> loss;  // [T]: -ln p(token i | tokens before it), nats; NaN at BOS
  double seconds = 0;        // tokenizing and the forward pass

 private:
  std::shared_ptr<const run::Snapshot> snap_;
  std::unique_ptr<Activations<float>> acts_;
  // Three or more layers: the order-1 pass (patterns frozen, every head reading the embedding),
  // whose head outputs are the first legs of virtual heads beyond layer 0.
  std::unique_ptr<Activations<float>> order1_;
  std::vector<double> lse_;  // [T] log-sum-exp of each position's logits
  // The logits themselves ([T, d_vocab], 200 MB for 1,000 tokens of a 48k vocabulary) are not
  // kept: each position's top predictions are, and a single logit is read out of the final
  // stream again when asked for.
  std::vector<Prediction> top_;  // [T, min(kMaxPredictions, d_vocab)]
  int64_t n_top_ = 0;
  double logit(int64_t position, int32_t token) const;
  // attribution()'s steps: which logit, the direction that reads it out of the final stream (and
  // the final LayerNorm's bias term), and the split of heads beyond layer 0 into paths.
  Attribution attribution_target(int64_t position, std::optional<int32_t> token) const;
  std::vector<double> readout_direction(int64_t position, int32_t token, double& bias) const;
  double bias_terms(int32_t token, const std::vector<double>& u) const;
  void add_virtual_heads(int64_t position, const std::vector<std::vector<double>>& o, Attribution& a) const;
};

// The text each token stands for, with characters that span several byte tokens given to the
// token that completes them (the others get ""), and stray bytes shown as U+FFFD.
std::vector<std::string> token_texts(const data::Tokenizer& tokenizer, const std::vector<int32_t>& ids);

}  // namespace cs::viewer
