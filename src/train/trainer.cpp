#include "train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "core/error.h"
#include "core/gemm.h"
#include "data/batches.h"
#include "data/eval_set.h"
#include "data/prepare.h"
#include "data/tokenizer.h"
#include "data/tokens.h"
#include "model/backward.h"
#include "run/run_dir.h"
#include "run/train_state.h"
#include "train/adamw.h"
#include "train/distributed.h"
#include "train/evaluate.h"
#include "train/interrupts.h"
#include "train/progress.h"
#include "train/schedule.h"

namespace cs {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

void check_resume_compatible(const run::RunConfig& saved, const run::RunConfig& req,
                             const std::set<std::string>& given) {
  const nlohmann::json s = run::to_json(saved), r = run::to_json(req);
  for (const auto& key : given) {
    const char* section = s["model"].contains(key) ? "model" : "train";
    if (!s[section].contains(key)) continue;
    CS_CHECK(s[section][key] == r[section][key],
             "--resume: " << key << " = " << r[section][key].dump() << " contradicts the saved run's "
                          << s[section][key].dump() << "; drop the flag or start a new run");
  }
}

// Tokens for a new run: copied from a tokenize folder, or made from text now.
nlohmann::json make_tokens(const TrainOptions& o, const std::string& tokens_dir, int d_vocab) {
  if (!o.corpus.empty() && data::is_token_dir(o.corpus)) {
    const fs::path src = data::token_dir_of(o.corpus);
    fs::copy(src, tokens_dir, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
    return {{"corpus", fs::absolute(src).string()}, {"source", "tokenize folder"}};
  }
  data::PrepareOptions prep;
  if (!o.corpus.empty()) prep.corpus = {o.corpus};
  prep.d_vocab = d_vocab;
  prep.bytes = o.bytes;
  prep.eval_fraction = o.eval_fraction;
  prep.seed = o.rc.train.seed;
  prep.threads = o.rc.train.threads;
  const auto r = data::prepare_tokens(prep, tokens_dir, [](const std::string& line) {
    std::fprintf(stderr, "%s\n", line.c_str());
  });
  std::fprintf(stderr, "%s\n", data::summary_line(r).c_str());
  return {{"corpus", r.corpus_label}, {"source", "text"}, {"corpus_bytes", r.corpus_bytes}};
}

void check_settings(const run::RunConfig& rc) {
  rc.model.validate();
  CS_CHECK(rc.train.batch >= 1, "--batch must be >= 1, got " << rc.train.batch);
  CS_CHECK(rc.train.steps >= 1, "--steps must be >= 1, got " << rc.train.steps);
  CS_CHECK(rc.train.lr > 0, "--lr must be positive, got " << rc.train.lr);
  CS_CHECK(rc.train.n_eval >= 16, "--eval-count must be at least 16, got " << rc.train.n_eval);
  CS_CHECK(rc.train.threads >= 1, "--threads must be at least 1, got " << rc.train.threads);
  parse_matmul_precision(rc.train.precision);  // an unknown name stops before anything is written
  data::parse_eval_windows(rc.train.eval_windows);
}

// Everything before the first step, built in a staging folder and renamed into place only when it
// all succeeded: bad input never leaves a half-made run, and --force keeps the old run until then.
run::RunConfig setup_new_run(const TrainOptions& o, const std::string& dir) {
  run::RunConfig rc = o.rc;
  check_settings(rc);
  if (rc.train.precision == "bf16" && !cpu_has_native_bf16() && !o.insist_bf16) {
    std::fprintf(stderr, "note: this CPU has no native bf16 instructions (AVX512-BF16), where bf16 trains slower "
                         "than fp32; training in fp32 (--insist-bf16 to use bf16 anyway)\n");
    rc.train.precision = "fp32";
  }
  run::RunWriter staging = run::RunWriter::staging(dir);
  const run::RunDir& run = staging.run();
  try {
    rc.run_id = run::new_run_id();
    rc.data = make_tokens(o, run.path(File::tokens_dir), rc.model.d_vocab);
    const data::TokenStore store = run.tokens();
    rc.model.d_vocab = store.d_vocab();
    const int T = rc.model.n_ctx;
    data::BatchSampler probe(store, T, rc.train.batch, rc.train.seed + 2);  // corpus long enough?
    const data::EvalSet eval = data::build_eval_set(store, T, rc.train.n_eval, rc.train.seed + 1,
                                                    data::parse_eval_windows(rc.train.eval_windows));
    const int n_used = eval.n_used();
    if (n_used < rc.train.n_eval)
      std::fprintf(stderr, "note: only %d held-out documents hold %d tokens; evaluating on %d sequences, not %d\n",
                   n_used, T + 1, n_used, rc.train.n_eval);
    staging.write_eval_tokens(eval.tokens, n_used, int64_t(T) + 1);
    data::load_tokenizer(run.path(File::tokens_dir))->save(run.root());
    rc.data["d_vocab"] = store.d_vocab();
    rc.data["n_tokens"] = store.n_tokens();
    rc.data["n_train_tokens"] = store.n_train_tokens();
    rc.data["n_docs"] = store.n_docs();
    rc.data["n_eval_used"] = n_used;
    rc.data["n_eval_candidates"] = eval.n_candidates;  // held-out documents long enough for a window
    rc.data["n_held_out_docs"] = eval.n_held_out;
    staging.write_config(rc);
  } catch (...) {
    fs::remove_all(run.root());
    throw;
  }
  staging.commit_to(dir);
  return rc;
}

// Every rank takes an equal share of the global batch (docs/scale.md).
void check_batch_split(int batch, int ranks) {
  CS_CHECK(batch % ranks == 0, "--batch " << batch << " does not split evenly over " << ranks
                                          << " ranks; give a multiple of " << ranks);
}

// The run's configuration: a new run set up in DIR, or the saved one on --resume.
run::RunConfig open_run(const TrainOptions& o, const run::RunDir& run, int ranks) {
  if (o.resume) {
    CS_CHECK(run.is_run(), "--resume: '" << run.root() << "' holds no run (" << file_name(File::config)
                                         << " is missing)");
    check_resume_compatible(run.config(), o.rc, o.given);
    check_batch_split(run.config().train.batch, ranks);
    return run.config();
  }
  check_batch_split(o.rc.train.batch, ranks);
  CS_CHECK(!run.is_run() || o.force, "'" << run.root() << "' already holds a run; use --resume to continue it or --force to replace it");
  CS_CHECK(!fs::exists(run.root()) || fs::is_directory(run.root()),
           "--out '" << run.root() << "' is a file, not a folder");
  return setup_new_run(o, run.root());
}

// metrics.jsonl: the mean loss since the last line, every log_every steps and at the end.
class MetricsLog {
 public:
  MetricsLog(run::RunWriter& out, int64_t every, int64_t tokens_per_step, int64_t step, int ranks)
      : out_(out), every_(every), tokens_per_step_(tokens_per_step), step0_(step), ranks_(ranks) {}
  // A step left out for a non-finite loss or gradient: a line of its own, so a reader sees where.
  void skipped(int64_t step) {
    out_.append_metrics({{"step", step}, {"skipped", "non-finite loss or gradient"}, {"skipped_total", ++skipped_}});
  }
  int64_t skipped_total() const { return skipped_; }

  // reduce_seconds: the time spent averaging over ranks so far.
  void record(int64_t step, int64_t last_step, double loss, double lr, double grad_norm, double reduce_seconds) {
    loss_sum_ += loss;
    ++count_;
    if (step % every_ != 0 && step != last_step) return;
    const double secs = seconds_since(t0_);
    nlohmann::json line = {{"step", step},
                           {"tokens", step * tokens_per_step_},
                           {"loss", loss_sum_ / double(count_)},
                           {"lr", lr},
                           {"grad_norm", grad_norm},
                           {"tokens_per_second", secs > 0 ? double(step - step0_) * tokens_per_step_ / secs : 0.0}};
    if (ranks_ > 1) {
      line["ranks"] = ranks_;
      line["allreduce_seconds"] = reduce_seconds - reduce0_;  // since the last line, as tokens_per_second
    }
    out_.append_metrics(line);
    reduce0_ = reduce_seconds;
    loss_sum_ = 0;
    count_ = 0;
    t0_ = Clock::now();
    step0_ = step;
  }

 private:
  run::RunWriter& out_;
  int64_t every_, tokens_per_step_, step0_;
  int ranks_;
  double loss_sum_ = 0, reduce0_ = 0;
  int64_t count_ = 0, skipped_ = 0;
  Clock::time_point t0_ = Clock::now();
};

// What the loop updates: weights, gradients, optimizer and data order, at a step.
struct TrainingState {
  Params<float> params, grads;
  AdamW<float> opt;
  data::BatchSampler sampler;
  int64_t step = 0;
  TrainingState(const run::RunConfig& rc, const data::TokenStore& store)
      : params(rc.model),
        grads(rc.model),
        opt(params.layout, {rc.train.beta1, rc.train.beta2, rc.train.adam_eps, rc.train.weight_decay,
                            rc.train.grad_clip}),
        sampler(store, rc.model.n_ctx, rc.train.batch, rc.train.seed + 2) {}

  run::TrainState saved(const std::string& run_id) const {
    return {run_id, step, opt.t, sampler.rng_state(), params.data, opt.m, opt.v};
  }
  void restore(const run::TrainState& st) {
    params.data = st.params;
    opt.m = st.adam_m;
    opt.v = st.adam_v;
    opt.t = st.adam_t;
    sampler.set_rng_state(st.sampler_rng);
    step = st.step;
  }
};

// Rank 0 makes (or checks) the run folder; the others read what it made.
run::RunConfig agreed_config(dist::Group& group, const TrainOptions& o, const run::RunWriter& out) {
  CS_CHECK(!o.out.empty(), "--out is required");
  run::RunConfig rc;
  if (group.is_root()) rc = open_run(o, out.run(), group.size());
  group.barrier();
  if (!group.is_root()) rc = out.run().config();
  return rc;
}

// One process's part of the run: all of it alone, or under mpirun one rank's share of every
// batch, with rank 0 the only one that writes or prints (docs/scale.md).
class TrainLoop {
 public:
  TrainLoop(dist::Group& group, const TrainOptions& o)
      : group_(group), o_(o), root_(group.is_root()), out_{run::RunDir(o.out)}, rc_(agreed_config(group, o, out_)),
        precision_(parse_matmul_precision(rc_.train.precision)), ts_(rc_.train), T_(rc_.model.n_ctx), tokens_per_step_(int64_t(ts_.batch) * T_),
        eval_(out_.run().eval_tokens()), store_(out_.run().tokens()), s_(rc_, store_),
        state_file_(out_.run().path(File::state)), snapshots_(snapshot_steps(ts_.steps, ts_.n_snapshots)) {
    set_num_threads(ts_.threads);
    // The same held-out sequences at every snapshot (docs/icl.md).
    CS_CHECK(eval_.width == T_ + 1, out_.run().path(File::eval_tokens) << " is not [n_eval, n_ctx + 1]");
    start_or_resume();
    // Per-thread scratch is sized for the most threads the run will use.
    set_num_threads(std::max(ts_.threads, o.more_threads));
    acts_.emplace(rc_.model, ts_.batch / group.size(), T_);
    eval_acts_.emplace(rc_.model, std::min<int64_t>(o.eval_batch, eval_.n), T_);
    set_num_threads(ts_.threads);
    // Every rank draws the whole batch, so the data order is the same for any number of ranks.
    windows_.resize(size_t(tokens_per_step_ + ts_.batch));
    if (root_) {
      progress_.emplace(o.label, ts_.steps, tokens_per_step_, s_.step);
      metrics_.emplace(out_, o.log_every, tokens_per_step_, s_.step, group.size());
    }
  }

  TrainResult run() {
    InterruptScope interrupts;
    last_state_ = Clock::now();
    for (;; ++s_.step) {
      if (std::binary_search(snapshots_.begin(), snapshots_.end(), s_.step)) write_snapshot();
      if (s_.step >= ts_.steps || stop_requested()) break;
      if (train_step() && root_) log_step();
    }
    return finish();
  }

 private:
  const Clock::time_point wall0_ = Clock::now();
  dist::Group& group_;
  const TrainOptions& o_;
  const bool root_;
  run::RunWriter out_;
  const run::RunConfig rc_;
  const MatmulPrecision precision_;
  const run::TrainSettings& ts_;
  const int64_t T_, tokens_per_step_;
  const run::EvalTokens eval_;
  const data::TokenStore store_;
  TrainingState s_;
  const std::string state_file_;
  const std::vector<int64_t> snapshots_;
  std::optional<Activations<float>> acts_, eval_acts_;
  std::vector<int32_t> windows_;
  std::optional<Progress> progress_;
  std::optional<MetricsLog> metrics_;
  Clock::time_point last_state_;
  double last_loss_ = 0, lr_ = 0, grad_norm_ = 0;
  // Whether some rank was interrupted, agreed on by all with the last step's loss, so that every
  // rank stops after the same step; alone, the signal is read afresh before each step.
  bool interrupted_ = false;

  void start_or_resume() {
    if (!o_.resume) {
      s_.params.init(ts_.seed);
      return;
    }
    s_.restore(run::read_train_state(state_file_, s_.params.layout, rc_.run_id));
    if (!root_) return;
    out_.rewind_to(s_.step);
    std::fprintf(stderr, "resuming run %s at step %lld\n", rc_.run_id.c_str(), static_cast<long long>(s_.step));
  }

  bool stop_requested() const { return group_.size() == 1 ? interrupt_requested() != 0 : interrupted_; }

  int threads_at(int64_t step) const {
    return o_.more_threads > 0 && step >= o_.more_threads_from_step ? o_.more_threads : ts_.threads;
  }

  void write_snapshot() {
    CS_CHECK(group_.same_everywhere(s_.params.data.data(), s_.params.data.size() * sizeof(float)),
             "the ranks' weights differ at step " << s_.step << "; the all-reduce gave them different means");
    if (!root_) return;
    const int64_t tokens = s_.step * tokens_per_step_;
    out_.write_snapshot(s_.params, {rc_.run_id, s_.step, tokens});
    out_.append_eval(s_.step, tokens, per_sequence_loss(s_.params, eval_.tokens, int(eval_.n), *eval_acts_));
  }

  // One optimizer step on this rank's share of the batch; false when it was left out for a
  // non-finite loss or gradient.
  bool train_step() {
    if (threads_at(s_.step) != num_threads()) set_num_threads(threads_at(s_.step));
    lr_ = learning_rate(s_.step, ts_.steps, ts_.lr, ts_.warmup_steps, ts_.schedule, ts_.min_lr_fraction);
    s_.sampler.next(windows_.data());
    acts_->set_windows(windows_.data() + int64_t(group_.rank()) * (ts_.batch / group_.size()) * (T_ + 1));
    std::vector<double> step_means(2);
    {
      const MatmulPrecisionScope scope(precision_);
      step_means[0] = forward_backward(s_.params, *acts_, s_.grads);
    }
    step_means[1] = interrupt_requested() ? 1 : 0;
    // Each rank's loss and gradient are means over an equal share of the rows, so their mean
    // over ranks is the mean over the whole batch.
    group_.average(s_.grads.data);
    group_.average(step_means);
    const double loss = step_means[0];
    interrupted_ = step_means[1] > 0;
    grad_norm_ = s_.opt.clip(s_.grads);
    if (!std::isfinite(loss) || !std::isfinite(grad_norm_)) {
      // The update is not made, so the weights, snapshots and resume state so far stay good.
      CS_CHECK(o_.skip_nonfinite, "training diverged at step " << s_.step << " (loss " << loss << ", gradient norm "
                                      << grad_norm_ << "); the snapshots and resume state so far are kept; "
                                      << "lower --lr (now " << ts_.lr << ") or pass --skip-nonfinite");
      if (root_) metrics_->skipped(s_.step + 1);
      return false;
    }
    s_.opt.step(s_.params, s_.grads, lr_);
    last_loss_ = loss;
    return true;
  }

  void log_step() {
    progress_->update(s_.step + 1, last_loss_);
    metrics_->record(s_.step + 1, ts_.steps, last_loss_, lr_, grad_norm_, group_.reduce_seconds());
    const bool by_steps = o_.state_every_steps > 0 && (s_.step + 1) % o_.state_every_steps == 0;
    if (by_steps || seconds_since(last_state_) > o_.state_every_seconds) {
      run::TrainState st = s_.saved(rc_.run_id);
      st.step = s_.step + 1;  // the weights are those after this step
      run::write_train_state(state_file_, st);
      last_state_ = Clock::now();
    }
  }

  TrainResult finish() {
    TrainResult r;
    r.rank = group_.rank();
    r.ranks = group_.size();
    r.steps_done = s_.step;
    r.tokens_seen = s_.step * tokens_per_step_;
    r.final_loss = last_loss_;
    r.interrupted = s_.step < ts_.steps;
    r.allreduce_seconds = group_.reduce_seconds();
    if (!root_) {
      r.wall_seconds = seconds_since(wall0_);
      return r;
    }
    run::write_train_state(state_file_, s_.saved(rc_.run_id));
    progress_->finish();
    r.tokens_per_second = progress_->tokens_per_second();
    r.wall_seconds = seconds_since(wall0_);
    if (r.interrupted)
      progress_->note("interrupted at step " + std::to_string(s_.step) + "; state saved to " + state_file_ +
                      " (continue with --resume)");
    r.skipped_steps = metrics_->skipped_total();
    if (r.skipped_steps > 0)
      progress_->note(std::to_string(r.skipped_steps) +
                      " steps skipped for a non-finite loss or gradient (metrics.jsonl)");
    return r;
  }
};

TrainResult train_as(dist::Group& group, const TrainOptions& o) { return TrainLoop(group, o).run(); }

}  // namespace

TrainResult train(const TrainOptions& o) {
  dist::Group& group = dist::world();
  if (group.size() == 1) return train_as(group, o);
  // An error on one rank would leave the others waiting in the next all-reduce for ever.
  try {
    return train_as(group, o);
  } catch (const std::exception& e) {
    group.abort(e.what());
  }
}

}  // namespace cs
