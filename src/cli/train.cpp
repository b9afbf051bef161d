#include <cstdio>

#include "cli/commands.h"
#include "core/error.h"
#include "train/trainer.h"

namespace cs::cli {

namespace {

// Marks a flag as given on the command line, so --resume can refuse one that contradicts the run.
auto given_flag(const std::shared_ptr<TrainOptions>& o) {
  return [o](const char* key) { return [o, key](const auto&) { o->given.insert(key); }; };
}

// The model's shape: TransformerLens's config fields as flags.
void add_model_flags(CLI::App* cmd, const std::shared_ptr<TrainOptions>& o, std::string& pos, std::string& norm,
                     std::string& act) {
  auto& m = o->rc.model;
  auto given = given_flag(o);
  cmd->add_option("--n-layers", m.n_layers, "Attention layers (0 = direct path only)")->capture_default_str()->each(given("n_layers"));
  cmd->add_option("--n-heads", m.n_heads, "Heads per layer")->capture_default_str()->each(given("n_heads"));
  cmd->add_option("--d-model", m.d_model, "Residual stream width")->capture_default_str()->each(given("d_model"));
  cmd->add_option("--d-head", m.d_head, "Width of each head")->capture_default_str()->each(given("d_head"));
  cmd->add_option("--n-ctx", m.n_ctx, "Context length")->capture_default_str()->each(given("n_ctx"));
  cmd->add_option("--d-vocab", m.d_vocab, "BPE vocabulary size (ignored with --bytes)")->capture_default_str()->each(given("d_vocab"));
  cmd->add_flag("--bytes", o->bytes, "Byte-level tokens (d_vocab 257) instead of BPE");
  cmd->add_option("--positions", pos, "standard | shortformer | rotary")->capture_default_str()->each(given("positional_embedding_type"));
  cmd->add_option("--normalization", norm, "null | LNPre | LN")->capture_default_str()->each(given("normalization_type"));
  cmd->add_option("--d-mlp", m.d_mlp, "MLP width of every block (0: attention-only; docs/definitions.md)")
      ->capture_default_str()->check(CLI::NonNegativeNumber)->each(given("d_mlp"));
  cmd->add_option("--act-fn", act, "MLP activation: gelu (exact) | gelu_new (tanh form) | relu")
      ->capture_default_str()->each(given("act_fn"));
  cmd->add_flag("--parallel-attn-mlp", m.parallel_attn_mlp,
                "Attention and MLP both read the block's input (GPT-NeoX/Pythia blocks)")->each(given("parallel_attn_mlp"));
  cmd->add_option("--rotary-dim", m.rotary_dim, "With rotary positions: rotate only this many dimensions of each head (0: all)")
      ->capture_default_str()->each(given("rotary_dim"));
  cmd->add_flag("--biases", m.biases, "Train b_Q, b_K, b_V, b_O and b_U (otherwise they stay zero)")->each(given("biases"));
}

}  // namespace

void register_train(CLI::App& app) {
  auto* cmd = app.add_subcommand("train", "Train a transformer (attention-only, or with MLPs: --d-mlp) into a run folder: "
                                          "tokenizer, snapshots, metrics, per-token evaluation loss; "
                                          "under mpirun, one run data-parallel over the ranks (docs/scale.md)");
  auto o = std::make_shared<TrainOptions>();
  auto pos = std::make_shared<std::string>("shortformer");
  auto norm = std::make_shared<std::string>("null");
  auto act = std::make_shared<std::string>("gelu");
  auto tokens_budget = std::make_shared<int64_t>(0);
  auto& m = o->rc.model;
  auto& t = o->rc.train;
  m.n_layers = 2;
  m.d_model = 128;
  m.n_heads = 8;
  m.d_head = 16;
  m.n_ctx = 512;
  m.d_vocab = 4096;
  cmd->add_option("--corpus", o->corpus,
                  "Text file (documents separated by form-feed lines), folder (one document per file), "
                  "a 'tokenize' output folder, 'builtin:' or 'gettext:LANG' (docs/corpus.md); default: the "
                  "built-in corpus");
  cmd->add_option("--out", o->out, "Run folder to create")->required();
  add_model_flags(cmd, o, *pos, *norm, *act);
  auto given = given_flag(o);
  cmd->add_option("--batch", t.batch, "Sequences per step")->capture_default_str()->each(given("batch"));
  cmd->add_option("--lr", t.lr, "Peak learning rate")->capture_default_str()->each(given("lr"));
  cmd->add_option("--warmup", t.warmup_steps, "Linear warm-up steps")->capture_default_str()->each(given("warmup_steps"));
  cmd->add_option("--schedule", t.schedule, "constant | cosine (after warm-up)")->capture_default_str()->each(given("schedule"));
  cmd->add_option("--weight-decay", t.weight_decay, "AdamW weight decay")->capture_default_str()->each(given("weight_decay"));
  cmd->add_option("--grad-clip", t.grad_clip, "Clip the global gradient norm to this (0: off)")->capture_default_str()->each(given("grad_clip"));
  auto* steps = cmd->add_option("--steps", t.steps, "Training steps")->capture_default_str()->each(given("steps"));
  auto* toks = cmd->add_option("--tokens", *tokens_budget, "Training tokens (sets --steps = tokens / (batch * n_ctx))");
  steps->excludes(toks);
  cmd->add_option("--seed", t.seed, "Seed for initialisation, data order and evaluation set")->capture_default_str()->each(given("seed"));
  cmd->add_option("--threads", t.threads, "Threads")->capture_default_str();
  cmd->add_option("--precision", t.precision,
                  "fp32 | bf16: bf16 rounds the inputs of the training steps' large matrix products "
                  "(float accumulation, float weights and optimizer); evaluation stays fp32")
      ->capture_default_str()
      ->each(given("precision"));
  cmd->add_option("--snapshots", t.n_snapshots, "About this many snapshots, log-spaced")->capture_default_str()->each(given("n_snapshots"));
  cmd->add_option("--eval-count", t.n_eval, "Evaluation sequences, one per held-out document")->capture_default_str()->each(given("n_eval"));
  cmd->add_option("--eval-windows", t.eval_windows,
                  "Where each evaluation sequence starts in its document: random (a seeded offset) | start "
                  "(docs/icl.md)")->capture_default_str()->each(given("eval_windows"));
  cmd->add_option("--eval-fraction", o->eval_fraction, "Share of documents held out")->capture_default_str();
  cmd->add_option("--state-every", o->state_every_seconds, "Seconds between resume states")->capture_default_str();
  cmd->add_option("--state-every-steps", o->state_every_steps, "Also write the resume state every N steps (0: off)")->capture_default_str();
  cmd->add_option("--log-every", o->log_every, "Steps per metrics.jsonl line")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_flag("--insist-bf16", o->insist_bf16,
                "With --precision bf16: use it even on a CPU without native bf16 instructions (slower than fp32 there)");
  cmd->add_flag("--resume", o->resume, "Continue the run in --out from its last state");
  cmd->add_flag("--force", o->force, "Replace a run already in --out");
  cmd->add_flag("--skip-nonfinite", o->skip_nonfinite,
                "Skip a step whose loss or gradient is not finite (no update) instead of stopping the run");
  cmd->callback([o, pos, norm, act, tokens_budget] {
    o->rc.model.positional_embedding_type = parse_positions(*pos);
    o->rc.model.normalization_type = parse_normalization(*norm);
    o->rc.model.act_fn = parse_act_fn(*act);
    if (o->bytes) o->rc.model.d_vocab = 257;
    if (*tokens_budget > 0) {
      o->rc.train.steps = run::steps_for_tokens(*tokens_budget, o->rc.train.batch, o->rc.model.n_ctx);
      o->given.insert("steps");
    }
    o->rc.train.warmup_steps = std::min(o->rc.train.warmup_steps, o->rc.train.steps);
    const TrainResult r = train(*o);
    if (r.rank == 0) {
      std::printf("%s: %lld steps, %.3g tokens, final loss %.4f, %.0f tokens/s, %.1f s", o->out.c_str(),
                  static_cast<long long>(r.steps_done), double(r.tokens_seen), r.final_loss,
                  r.tokens_per_second, r.wall_seconds);
      if (r.ranks > 1)
        std::printf(" on %d ranks, %.1f s of it in the all-reduce (%.0f%%)", r.ranks, r.allreduce_seconds,
                    100 * r.allreduce_seconds / r.wall_seconds);
      std::printf("\n");
    }
    if (r.interrupted) throw CLI::RuntimeError(130);
  });
}

}  // namespace cs::cli
