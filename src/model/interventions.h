#pragma once
// Interventions are plain data handed to forward(): every analysis of docs/evaluators.md is a
// forward pass with some of these set.
#include <vector>

#include "model/hooks.h"

namespace cs {

template <class T>
struct Activations;

struct HeadAblation {
  enum class Kind { zero, mean };
  int layer = 0;
  int head = 0;
  // zero: the head's result is 0. mean: its result is replaced by its mean over every
  // (batch, position) of this pass (z is averaged; the result is linear in z).
  Kind kind = Kind::zero;
};

// An MLP layer's output (hook_mlp_out) replaced: zero, or its mean over every (batch, position)
// of this pass.
struct MlpAblation {
  int layer = 0;
  HeadAblation::Kind kind = HeadAblation::Kind::zero;
};

template <class T>
struct Interventions {
  std::vector<HeadAblation> ablate;
  std::vector<MlpAblation> ablate_mlp;
  // Use these attention patterns instead of computing them (same batch and length). With frozen
  // patterns an attention-only model is linear in its embeddings. Such a pass computes no queries
  // or keys: its hook_q and hook_k keep what the last pass left.
  const Activations<T>* freeze_patterns = nullptr;
  // Use these MLP outputs (hook_mlp_out) instead of computing them: with patterns frozen too, a
  // model with MLPs becomes linear in its embeddings, each MLP output a constant term of its own
  // (docs/evaluators.md). Such a pass leaves mlp.hook_pre and mlp.hook_post as they were.
  const Activations<T>* freeze_mlp_out = nullptr;
  // Path order k (docs/evaluators.md): each head reads the residual built from order-(k-1) head
  // outputs; 0 = embedding only; -1 or >= n_layers = the full model. In a model with MLPs the
  // MLP outputs must be frozen: each then enters the stream after its layer as a constant term.
  int max_path_order = -1;
  // Replace blocks.{resid_layer}.hook_resid_pre with resid_value [B, T, d_model].
  int resid_layer = -1;
  const T* resid_value = nullptr;
  // With resid_value: begin the pass at resid_layer. Layers below it are not run (the override
  // would discard what they write), and their cache entries keep what the last pass left. An
  // ablation of a head in layer l changes nothing below l + 1, so it can start there.
  bool start_at_resid_layer = false;
  // Functions called at hook points as the pass reaches them (model/hooks.h), after the
  // interventions above have acted there. Not with a path-order cap.
  const ForwardHooks<T>* hooks = nullptr;
};

}  // namespace cs
