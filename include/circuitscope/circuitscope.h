#pragma once
// circuitscope's C++ API: open a run folder, load a snapshot of its model, run it with an
// activation cache or with hooks under TransformerLens's hook names, ablate heads, and run the
// analyses. This header and <circuitscope/error.h> are the whole installed interface: they need
// only the standard library.
// Link circuitscope::circuitscope (find_package(circuitscope)); examples/top_attention.cpp is a
// complete program.
//
//   circuitscope::Run run("demo/2l");                       // reads nothing yet
//   circuitscope::Model model = run.model("last");          // or run.model(step) / Model(run, snap)
//   std::vector<int32_t> ids = model.to_tokens("the cat sat. the cat");  // BOS first
//
//   circuitscope::Cache cache = model.run_with_cache(ids);
//   circuitscope::Tensor p = cache.get("blocks.1.attn.hook_pattern");  // [1, H, T, T]
//   float last = p.at({0, 3, int64_t(ids.size()) - 1, 0});
//
//   // A hook sees the activation where the pass holds it; what it writes there is what the rest
//   // of the pass computes from.
//   circuitscope::Tensor logits = model.run_with_hooks(ids, {{"blocks.0.attn.hook_z",
//       [](const circuitscope::TensorView& z, const circuitscope::HookPoint&) {
//         for (int64_t t = 0; t < z.shape[1]; ++t)
//           for (int64_t k = 0; k < z.shape[3]; ++k) z.at({0, t, 1, k}) = 0;  // head 1 off
//       }}});
//
//   circuitscope::HeadsResult heads = model.heads();        // heads.json's numbers
//   circuitscope::IclResult icl = run.icl();                // icl.json's numbers
//   std::string text = icl.to_json_string();
//
// Every failure a user can cause (a missing file, a bad name, shape or index) throws
// circuitscope::Error (<circuitscope/error.h>, a std::runtime_error) whose message names the
// file, field or value on one line.
#include <complex>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <circuitscope/error.h>

namespace circuitscope {

// Threads for the forward passes, the analyses and their matrix products: at least 1 (until set,
// OpenMP's default: every core).
void set_num_threads(int n);

// The model's shape (config.json's "model"), under TransformerLens's field names.
struct ModelConfig {
  int n_layers = 0, n_heads = 0, d_model = 0, d_head = 0, d_mlp = 0, d_vocab = 0, n_ctx = 0;
  std::string positional_embedding_type;  // "standard", "shortformer" or "rotary"
  std::string normalization_type;         // "LN", "LNPre" or "null" (TransformerLens's None)
  bool attn_only() const { return d_mlp == 0; }
};

// A dense row-major array of floats.
struct Tensor {
  std::vector<int64_t> shape;
  std::vector<float> data;
  int64_t numel() const;
  // The element at one index per axis; an index out of range is an Error.
  float at(std::initializer_list<int64_t> index) const;
};

// An activation in place during a forward pass: strided, in TransformerLens's shape (batch first).
struct TensorView {
  float* data = nullptr;
  std::vector<int64_t> shape, strides;  // strides in elements
  float& at(std::initializer_list<int64_t> index) const;
  Tensor copy() const;
  // Overwrites every element with t's (same shape).
  void assign(const Tensor& t) const;
};

// A point of the forward pass where activations can be read or hooked.
struct HookPoint {
  std::string name;                // TransformerLens's, e.g. "blocks.0.attn.hook_z"
  int layer = -1;                  // -1 outside the blocks
  std::vector<int64_t> shape;      // batch first
  bool replaceable = true;         // false: a hook may read it, but the pass ignores what it writes
};

// Called as the pass reaches the point named `name`.
struct Hook {
  std::string name;
  std::function<void(const TensorView& activation, const HookPoint& point)> fn;
};

// Interventions are plain data: heads whose result is removed from the residual stream.
struct HeadAblation {
  enum class Kind { zero, mean };  // mean: the head's mean result over the pass's batch and positions
  int layer = 0, head = 0;
  Kind kind = Kind::zero;
};

struct Interventions {
  std::vector<HeadAblation> ablate_heads;
};

// Sequences of one length, as a forward pass takes them.
using TokenBatch = std::vector<std::vector<int32_t>>;

// A finished forward pass's activations, by hook name.
class Cache {
 public:
  int64_t batch() const;
  int64_t seq() const;
  // Every hook point of the model, in the order the pass reaches them; hook_logits last.
  std::vector<std::string> names() const;
  // A copy of the activation (computed again from the kept ones where the pass keeps none);
  // an unknown name is an Error.
  Tensor get(const std::string& hook_name) const;
  Tensor logits() const;  // [batch, seq, d_vocab]

  // Caches come from Model::run_with_cache; Impl is the library's own (opaque here).
  struct Impl;
  explicit Cache(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

 private:
  std::shared_ptr<const Impl> impl_;
};

// One snapshot's weights (snapshots/STEP.safetensors) and where they came from.
class Snapshot {
 public:
  int64_t step() const;
  int64_t tokens() const;  // training tokens seen
  const std::string& run_id() const;
  // Names as in a TransformerLens state dict ("blocks.0.attn.W_Q" [n_heads, d_model, d_head]).
  std::vector<std::string> weight_names() const;
  Tensor weight(const std::string& name) const;

  // Snapshots come from Run::snapshot; Impl is the library's own (opaque here).
  struct Impl;
  explicit Snapshot(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  const Impl& impl() const { return *impl_; }

 private:
  std::shared_ptr<const Impl> impl_;
};

struct HeadsResult;
struct CircuitsResult;
struct AblationResult;
struct IclResult;
// pattern_preserving: every attention pattern stays the clean pass's, so only value paths change;
// full: the ablated pass computes its patterns again.
enum class AblationKind { pattern_preserving, full };

class Model;

// A run folder (config.json, snapshots/, eval/, tokenizer); nothing is read until asked.
class Run {
 public:
  explicit Run(const std::string& folder);
  const std::string& folder() const;
  std::string name() const;
  ModelConfig config() const;
  std::vector<int64_t> snapshot_steps() const;  // ascending
  // "last" or a step number; an absent snapshot is an Error.
  Snapshot snapshot(const std::string& which = "last") const;
  Snapshot snapshot(int64_t step) const;
  Model model(const std::string& which = "last") const;
  Model model(int64_t step) const;
  // The in-context-learning curve over the run's snapshots, from their evaluation losses, with the
  // default windows for n_ctx and the phase-change search after the learning-rate warm-up.
  IclResult icl() const;

  struct Impl;  // the library's own (opaque here)
  const Impl& impl() const { return *impl_; }

 private:
  std::shared_ptr<const Impl> impl_;
};

// A snapshot's model with the run's tokenizer: forward passes and the per-snapshot analyses.
class Model {
 public:
  Model(const Run& run, const Snapshot& snapshot);
  const ModelConfig& config() const;
  const Snapshot& snapshot() const;

  // The run's tokenizer (a run without one makes these an Error).
  std::vector<int32_t> to_tokens(const std::string& text, bool prepend_bos = true) const;
  std::string to_string(const std::vector<int32_t>& tokens) const;
  std::vector<std::string> to_str_tokens(const std::vector<int32_t>& tokens) const;

  std::vector<HookPoint> hook_points(int64_t seq, int64_t batch = 1) const;
  // One sequence is a batch of one; sequences longer than n_ctx are an Error.
  Cache run_with_cache(const std::vector<int32_t>& tokens, const Interventions& iv = {}) const;
  Cache run_with_cache(const TokenBatch& tokens, const Interventions& iv = {}) const;
  // The logits [batch, seq, d_vocab] of a pass with the hooks called (after the interventions
  // at the same point). Hooking a name the model lacks is an Error.
  Tensor run_with_hooks(const std::vector<int32_t>& tokens, const std::vector<Hook>& hooks,
                        const Interventions& iv = {}) const;
  Tensor run_with_hooks(const TokenBatch& tokens, const std::vector<Hook>& hooks,
                        const Interventions& iv = {}) const;

  // The evaluator scores, OV/QK copying scores and kinds of every head (analysis/heads.json).
  HeadsResult heads() const;
  // Weight-only circuits: OV/QK spectra and, with 2+ layers, composition (circuits.json,
  // composition.json).
  CircuitsResult circuits() const;
  // The ICL score and loss on the run's evaluation sequences with `heads` (layer, head) ablated
  // together, against the clean model.
  AblationResult ablate(const std::vector<std::pair<int, int>>& heads,
                        AblationKind kind = AblationKind::pattern_preserving) const;

  struct Impl;  // the library's own (opaque here)

 private:
  std::shared_ptr<const Impl> impl_;
};

// What every result shares: its JSON. heads: heads.json; icl: icl.json's curve, windows and phase
// change (the file adds the training-loss curve); circuits: circuits.json and composition.json
// under "circuits" and "composition"; ablate: the heads, the kind, clean and ablated ICL and loss.
class JsonResult {
 public:
  const std::string& to_json_string() const { return json_; }

 private:
  friend struct ResultAccess;
  std::string json_;
};

struct HeadResult {
  int layer = 0, head = 0;
  double prefix_matching = 0, previous_token = 0, positional = 0, copying = 0;
  double ov_copying_score = 0, qk_copying_score = 0;
  std::vector<std::string> kinds;  // "previous-token", "induction", "copying", "positional"
};

struct HeadsResult : JsonResult {
  int64_t step = 0;
  int n_layers = 0, n_heads = 0;
  std::vector<HeadResult> heads;  // layer-major
  const HeadResult& at(int layer, int head) const;
};

struct HeadCircuit {
  int layer = 0, head = 0;
  std::vector<std::complex<double>> ov_eigenvalues, qk_eigenvalues;  // largest |lambda| first
  double ov_copying_score = 0, qk_copying_score = 0;
};

// Composition scores of the heads of layer l1 into those of layer l2: [n_heads][n_heads].
struct Composition {
  int l1 = 0, l2 = 1;
  std::vector<std::vector<double>> q, k, v;
};

struct CircuitsResult : JsonResult {  // {"circuits": …, "composition": …}
  int64_t step = 0;
  std::vector<HeadCircuit> heads;   // layer-major
  std::vector<Composition> composition;  // empty with one layer
};

struct AblationResult : JsonResult {
  std::vector<std::pair<int, int>> heads;
  AblationKind kind = AblationKind::pattern_preserving;
  int64_t n_eval = 0;
  double clean_icl = 0, ablated_icl = 0;    // nats
  double clean_loss = 0, ablated_loss = 0;  // mean per-token loss
  double delta_icl() const { return ablated_icl - clean_icl; }
};

struct IclResult : JsonResult {
  struct Window {
    int64_t first = 0, last = 0;  // token positions, inclusive
  };
  struct PhaseChange {
    int64_t start_step = 0, end_step = 0, start_tokens = 0, end_tokens = 0;
    double delta_nats = 0;
  };
  std::vector<int64_t> steps, tokens;  // one per snapshot
  std::vector<double> icl_score, icl_stderr, early_loss, late_loss, icl_score_smoothed;
  Window early_window, late_window;
  int64_t n_eval = 0;
  std::optional<PhaseChange> phase_change;
};

}  // namespace circuitscope
