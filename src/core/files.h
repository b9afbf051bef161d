#pragma once
// Every file circuitscope reads or writes, in one table: the only place a file name is spelled.
// Paths are relative to the folder that holds them: a run folder (docs/run-folder.md), its token
// folder `tokens/` (also what `tokenize --out` writes), a demo folder or a sweep folder. A picture is a base name
// written as .svg and .png. run::RunDir turns a File into a path of one run.
#include <cstddef>
#include <string>

namespace cs {

enum class File {
  // The run folder.
  config, metrics, tokenizer_model, tokenizer_json, gpt2_vocab, gpt2_merges, tokens_dir, snapshots_dir, snapshot, state,
  eval_dir, eval_tokens, eval_snapshots, per_token_loss, per_sequence_loss, eval_steps,
  eval_tokens_seen, analysis_dir, icl_settings,
  // A token folder.
  token_meta, token_stream, token_documents, token_split, token_counts, token_document_names,
  // Analyses of one run, in analysis/.
  icl, icl_score, icl_score_picture, icl_derivatives_picture, icl_heatmap_picture,
  icl_heatmap_relative_picture, loss_curve_picture, loss_by_position_picture, loss_pca,
  loss_pca_picture,
  heads, heads_over_training, heads_over_training_prefix_matching,
  heads_over_training_previous_token, heads_over_training_picture,
  circuits, composition, ov_eigenvalues, qk_eigenvalues, copying_scores, skip_sources,
  skip_destinations, skip_destination_values, skip_outputs, skip_output_values, composition_q,
  composition_k, composition_v, induction_scatter, ov_eigenvalues_picture,
  qk_eigenvalues_picture, copying_scores_picture, induction_scatter_picture,
  paths, ablation_icl, ablation_icl_array, ablation_icl_mlp_array, ablation_icl_picture, probes, analyze, report_html,
  // Several runs compared (`icl A B`, the demo).
  icl_comparison_picture, loss_difference, loss_difference_array, loss_difference_picture,
  demo_summary,
  // A Hugging Face model folder, read by `import` (docs/import.md); its config.json is File::config.
  hf_weights, hf_weights_index, hf_torch_weights,
  // A sweep folder (`sweep`, docs/sweep.md): RUN is a run's name, VOCAB a vocabulary (v1024, bytes).
  sweep_plan, sweep_tokens, sweep_log, sweep_html, sweep_icl_picture, sweep_icl, sweep_icl_array,
  sweep_loss_slope_picture, sweep_loss_slope, sweep_loss_slope_array, sweep_induction_picture,
  sweep_induction, sweep_induction_array,
};

struct FileName {
  File file;
  const char* path;
  const char* holds;
};

inline constexpr FileName kFiles[] = {
    {File::config, "config.json", "model (TransformerLens config names), training and data settings, run_id"},
    {File::metrics, "metrics.jsonl", "one line per logged step: step, tokens, loss, lr, grad_norm, tokens_per_second"},
    {File::tokenizer_model, "tokenizer.model", "sentencepiece BPE model"},
    {File::tokenizer_json, "tokenizer.json", "a note that the tokens are bytes, or a Hugging Face byte-level BPE tokenizer"},
    {File::gpt2_vocab, "vocab.json", "GPT-2's release files: the byte-level BPE vocabulary (read, never written)"},
    {File::gpt2_merges, "merges.txt", "GPT-2's release files: the merges in rank order (read, never written)"},
    {File::tokens_dir, "tokens", "the token folder"},
    {File::snapshots_dir, "snapshots", "weight snapshots"},
    {File::snapshot, "snapshots/STEP.safetensors", "weights at a step (STEP zero-padded to 9 digits), TransformerLens names"},
    {File::state, "snapshots/last.state", "weights, AdamW moments and sampler state, for --resume"},
    {File::eval_dir, "eval", "the held-out evaluation"},
    {File::eval_tokens, "eval/tokens.npy", "[n_eval, n_ctx + 1] evaluation sequences"},
    {File::eval_snapshots, "eval/snapshots.json", "steps and tokens of the evaluated snapshots"},
    {File::per_token_loss, "eval/per_token_loss.npy", "[n_snapshots, n_ctx] mean loss by position"},
    {File::per_sequence_loss, "eval/per_sequence_loss.npy", "[n_snapshots, n_eval, n_ctx] float16"},
    {File::eval_steps, "eval/steps.npy", "[n_snapshots] steps"},
    {File::eval_tokens_seen, "eval/tokens_seen.npy", "[n_snapshots] training tokens"},
    {File::analysis_dir, "analysis", "analysis outputs"},
    {File::icl_settings, "icl_settings.json", "the run's ICL windows, smoothing and phase-change search, set by `icl`'s flags"},

    {File::token_meta, "tokens.json", "token folder: counts, vocabulary, corpus description"},
    {File::token_stream, "tokens.bin", "token folder: the token stream (uint16 or uint32)"},
    {File::token_documents, "documents.npy", "token folder: [n_docs, 2] token ranges"},
    {File::token_split, "split.npy", "token folder: [n_docs] 0 train, 1 held out"},
    {File::token_counts, "token_counts.npy", "token folder: [d_vocab] counts in the training split"},
    {File::token_document_names, "document_names.json", "token folder: where each document came from"},

    {File::icl, "analysis/icl.json", "ICL score, derivatives, phase change, loss-curve bump"},
    {File::icl_score, "analysis/icl_score.npy", "[n_snapshots] ICL score"},
    {File::icl_score_picture, "analysis/icl_score", "ICL score over training"},
    {File::icl_derivatives_picture, "analysis/icl_derivatives", "derivatives of the ICL score"},
    {File::icl_heatmap_picture, "analysis/icl_heatmap", "loss by position over training"},
    {File::icl_heatmap_relative_picture, "analysis/icl_heatmap_relative", "the same, relative to the first snapshot"},
    {File::loss_curve_picture, "analysis/loss_curve", "training loss with the bump"},
    {File::loss_by_position_picture, "analysis/loss_by_position", "loss by token index at points of training"},
    {File::loss_pca, "analysis/loss_pca.npy", "[n_snapshots, 2] per-token loss vectors on their principal components"},
    {File::loss_pca_picture, "analysis/loss_pca", "the per-token loss trajectory on PC1 and PC2"},
    {File::heads, "analysis/heads.json", "head evaluators and kinds of one snapshot"},
    {File::heads_over_training, "analysis/heads_over_training.json", "prefix-matching and previous-token scores at every snapshot"},
    {File::heads_over_training_prefix_matching, "analysis/heads_over_training_prefix_matching.npy", "[snapshot, layer, head]"},
    {File::heads_over_training_previous_token, "analysis/heads_over_training_previous_token.npy", "[snapshot, layer, head]"},
    {File::heads_over_training_picture, "analysis/heads_over_training", "head scores under the ICL score"},
    {File::circuits, "analysis/circuits.json", "OV/QK eigenvalues, copying scores, skip-trigrams, direct-path bigrams"},
    {File::composition, "analysis/composition.json", "Q/K/V composition, random baseline, induction axes"},
    {File::ov_eigenvalues, "analysis/ov_eigenvalues.npy", "[layer, head, d_head, 2] (re, im)"},
    {File::qk_eigenvalues, "analysis/qk_eigenvalues.npy", "[layer, head, d_head, 2] (re, im)"},
    {File::copying_scores, "analysis/copying_scores.npy", "[layer, head, 2] (OV, QK)"},
    {File::skip_sources, "analysis/skip_sources.npy", "[S] skip-trigram source tokens"},
    {File::skip_destinations, "analysis/skip_destinations.npy", "[layer, head, S, k] token ids"},
    {File::skip_destination_values, "analysis/skip_destination_values.npy", "[layer, head, S, k]"},
    {File::skip_outputs, "analysis/skip_outputs.npy", "[layer, head, S, k] token ids"},
    {File::skip_output_values, "analysis/skip_output_values.npy", "[layer, head, S, k]"},
    {File::composition_q, "analysis/composition_q.npy", "[layer pair, head, head]"},
    {File::composition_k, "analysis/composition_k.npy", "[layer pair, head, head]"},
    {File::composition_v, "analysis/composition_v.npy", "[layer pair, head, head]"},
    {File::induction_scatter, "analysis/induction_scatter.npy", "[n, 4] layer, head, OV copying, QK score"},
    {File::ov_eigenvalues_picture, "analysis/ov_eigenvalues", "OV eigenvalues per head"},
    {File::qk_eigenvalues_picture, "analysis/qk_eigenvalues", "QK eigenvalues per head"},
    {File::copying_scores_picture, "analysis/copying_scores", "histogram of copying scores"},
    {File::induction_scatter_picture, "analysis/induction_scatter", "OV copying against induction QK score"},
    {File::paths, "analysis/paths.json", "path expansion: loss by order, term importances"},
    {File::ablation_icl, "analysis/ablation_icl.json", "ΔICL per head and snapshot"},
    {File::ablation_icl_array, "analysis/ablation_icl.npy", "[snapshot, layer, head] ΔICL"},
    {File::ablation_icl_mlp_array, "analysis/ablation_icl_mlp.npy", "[snapshot, zero|mean, layer] ΔICL of MLP layers"},
    {File::ablation_icl_picture, "analysis/ablation_icl", "ΔICL over training or per head"},
    {File::probes, "analysis/probes.json", "the probes' answer losses and head shares"},
    {File::analyze, "analysis/analyze.json", "what `analyze` ran, on which snapshot, in how long"},
    {File::report_html, "analysis/report.html", "`report`: every analysis on one self-contained page"},

    {File::icl_comparison_picture, "icl_comparison", "ICL score of several runs"},
    {File::loss_difference, "icl_loss_difference.json", "which runs and training points the loss difference compares"},
    {File::loss_difference_array, "icl_loss_difference.npy", "[run, point, n_ctx] per-token loss minus the first run's"},
    {File::loss_difference_picture, "icl_loss_difference", "loss difference by token index"},
    {File::demo_summary, "summary.json", "the demo's verdict"},

    {File::hf_weights, "model.safetensors", "a Hugging Face model's weights in one file"},
    {File::hf_weights_index, "model.safetensors.index.json", "which shard holds each tensor of a sharded Hugging Face model"},
    {File::hf_torch_weights, "pytorch_model.bin", "a Hugging Face model's weights pickled by torch (convert first)"},

    {File::sweep_plan, "sweep.json", "the grid, every run's train flags and status, and `sweep report`'s results"},
    {File::sweep_tokens, "tokens-VOCAB", "the token folder the sweep's runs of one vocabulary share"},
    {File::sweep_log, "logs/RUN.log", "what a run printed while `sweep run` trained it"},
    {File::sweep_html, "sweep.html", "`sweep report`: every run compared on one self-contained page"},
    {File::sweep_icl_picture, "sweep_icl", "every run's ICL score over training, phase changes shaded"},
    {File::sweep_icl, "sweep_icl.json", "the runs, tokens, ICL scores and windows of that picture"},
    {File::sweep_icl_array, "sweep_icl.npy", "[run, snapshot, 3] tokens, ICL score, stderr (NaN past a run's end)"},
    {File::sweep_loss_slope_picture, "sweep_loss_slope", "every run's d loss / d ln(tokens) over training"},
    {File::sweep_loss_slope, "sweep_loss_slope.json", "the runs, tokens and slopes of that picture"},
    {File::sweep_loss_slope_array, "sweep_loss_slope.npy", "[run, bin, 2] tokens, d loss / d ln(tokens) (NaN past a run's end)"},
    {File::sweep_induction_picture, "sweep_induction_layers", "induction heads per layer, per run"},
    {File::sweep_induction, "sweep_induction_layers.json", "every run's induction heads and their layers"},
    {File::sweep_induction_array, "sweep_induction_layers.npy", "[run, layer] induction heads (NaN past a run's depth)"},
};

constexpr const FileName& file_entry(File f) {
  for (const FileName& e : kFiles)
    if (e.file == f) return e;
  return kFiles[0];  // unreachable: every File has a row (checked by a test)
}

// The file's path relative to its folder.
inline std::string file_name(File f) { return file_entry(f).path; }

}  // namespace cs
