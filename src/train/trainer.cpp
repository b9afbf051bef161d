#include "train/trainer.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/gemm.h"
#include "data/batches.h"
#include "data/eval_set.h"
#include "data/prepare.h"
#include "data/tokenizer.h"
#include "data/tokens.h"
#include "io/atomic_file.h"
#include "io/npy.h"
#include "model/backward.h"
#include "run/snapshot.h"
#include "run/train_state.h"
#include "train/adamw.h"
#include "train/evaluate.h"
#include "train/interrupts.h"
#include "train/progress.h"
#include "train/schedule.h"

namespace cs {

namespace fs = std::filesystem;

namespace {

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
    const fs::path src = fs::exists(fs::path(o.corpus) / "tokens.json") ? fs::path(o.corpus)
                                                                          : fs::path(o.corpus) / "tokens";
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

struct EvalRecord {
  std::vector<int64_t> steps, tokens;
  std::vector<float> per_sequence;  // [n_snapshots, n_eval, n_ctx]
};

void write_eval(const std::string& dir, const EvalRecord& e, int64_t n_eval, int64_t n_ctx) {
  const int64_t S = int64_t(e.steps.size());
  std::vector<float> per_token(S * n_ctx, 0.f);
  for (int64_t s = 0; s < S; ++s)
    for (int64_t i = 0; i < n_eval; ++i)
      for (int64_t t = 0; t < n_ctx; ++t)
        per_token[s * n_ctx + t] += e.per_sequence[(s * n_eval + i) * n_ctx + t] / float(n_eval);
  io::write_npy(dir + "/eval/per_token_loss.npy", per_token.data(), {S, n_ctx});
  io::write_npy_f16(dir + "/eval/per_sequence_loss.npy", e.per_sequence.data(), {S, n_eval, n_ctx});
  io::write_npy(dir + "/eval/steps.npy", e.steps.data(), {S});
  io::write_npy(dir + "/eval/tokens_seen.npy", e.tokens.data(), {S});
  io::write_file_atomic(dir + "/eval/snapshots.json",
                        nlohmann::json{{"steps", e.steps}, {"tokens", e.tokens}}.dump() + "\n");
}

// On resume: the evaluations of snapshots taken before the state's step.
EvalRecord read_eval(const std::string& dir, int64_t upto_step, int64_t n_eval, int64_t n_ctx) {
  EvalRecord e;
  if (!fs::exists(dir + "/eval/snapshots.json")) return e;
  const auto j = nlohmann::json::parse(io::read_file(dir + "/eval/snapshots.json"));
  const auto steps = j.at("steps").get<std::vector<int64_t>>();
  const auto tokens = j.at("tokens").get<std::vector<int64_t>>();
  const auto losses = io::read_npy(dir + "/eval/per_sequence_loss.npy").to_float();
  // snapshots.json is written last, so a kill between the files leaves the losses one snapshot
  // ahead of the list at most; the list decides.
  CS_CHECK(int64_t(losses.size()) >= int64_t(steps.size()) * n_eval * n_ctx,
           dir << "/eval/per_sequence_loss.npy holds fewer snapshots than eval/snapshots.json lists");
  for (size_t s = 0; s < steps.size() && steps[s] < upto_step; ++s) {
    e.steps.push_back(steps[s]);
    e.tokens.push_back(tokens[s]);
    e.per_sequence.insert(e.per_sequence.end(), losses.begin() + s * n_eval * n_ctx,
                          losses.begin() + (s + 1) * n_eval * n_ctx);
  }
  return e;
}

void append_metrics(const std::string& dir, const nlohmann::json& line) {
  std::ofstream f(dir + "/metrics.jsonl", std::ios::app);
  f << line.dump() << "\n";
}

// metrics.jsonl lines past the resumed step came from work that is being redone.
void truncate_metrics(const std::string& dir, int64_t upto_step) {
  const std::string path = dir + "/metrics.jsonl";
  if (!fs::exists(path)) return;
  std::ifstream in(path);
  std::string kept, line;
  while (std::getline(in, line)) {
    try {
      if (nlohmann::json::parse(line).at("step").get<int64_t>() <= upto_step) kept += line + "\n";
    } catch (const std::exception&) {
      break;  // a line cut by a kill: everything after it is redone
    }
  }
  io::write_file_atomic(path, kept);
}


// Everything before the first step, built in DIR.partial and renamed into place only when it all
// succeeded: bad input never leaves a half-made run, and --force keeps the old run until then.
run::RunConfig setup_new_run(const TrainOptions& o, const std::string& dir) {
  run::RunConfig rc = o.rc;
  rc.model.validate();
  CS_CHECK(rc.train.batch >= 1, "--batch must be >= 1, got " << rc.train.batch);
  CS_CHECK(rc.train.steps >= 1, "--steps must be >= 1, got " << rc.train.steps);
  CS_CHECK(rc.train.lr > 0, "--lr must be positive, got " << rc.train.lr);
  CS_CHECK(rc.train.n_eval >= 16, "--eval-count must be at least 16, got " << rc.train.n_eval);
  CS_CHECK(rc.train.threads >= 1, "--threads must be at least 1, got " << rc.train.threads);
  parse_matmul_precision(rc.train.precision);  // an unknown name stops before anything is written
  const std::string staging = dir + ".partial";
  fs::remove_all(staging);
  try {
    fs::create_directories(staging + "/snapshots");
    fs::create_directories(staging + "/eval");
    rc.run_id = run::new_run_id();
    rc.data = make_tokens(o, staging + "/tokens", rc.model.d_vocab);
    const data::TokenStore store = data::TokenStore::open(staging + "/tokens");
    rc.model.d_vocab = store.d_vocab();
    const int T = rc.model.n_ctx;
    data::BatchSampler probe(store, T, rc.train.batch, rc.train.seed + 2);  // corpus long enough?
    int n_used = 0;
    const auto eval_tokens = data::build_eval_set(store, T, rc.train.n_eval, rc.train.seed + 1, &n_used);
    if (n_used < rc.train.n_eval)
      std::fprintf(stderr, "note: only %d held-out documents hold %d tokens; evaluating on %d sequences, not %d\n",
                   n_used, T + 1, n_used, rc.train.n_eval);
    io::write_npy(staging + "/eval/tokens.npy", eval_tokens.data(), {int64_t(n_used), int64_t(T) + 1});
    data::load_tokenizer(staging + "/tokens")->save(staging);
    rc.data["d_vocab"] = store.d_vocab();
    rc.data["n_tokens"] = store.n_tokens();
    rc.data["n_train_tokens"] = store.n_train_tokens();
    rc.data["n_docs"] = store.n_docs();
    rc.data["n_eval_used"] = n_used;
    run::write_run_config(staging, rc);
  } catch (...) {
    fs::remove_all(staging);
    throw;
  }
  fs::remove_all(dir);
  fs::rename(staging, dir);
  return rc;
}

}  // namespace

TrainResult train(const TrainOptions& o) {
  const auto wall0 = std::chrono::steady_clock::now();
  CS_CHECK(!o.out.empty(), "--out is required");
  std::string dir = fs::path(o.out).lexically_normal().string();
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  const bool exists = fs::exists(dir + "/config.json");
  run::RunConfig rc = o.rc;
  if (o.resume) {
    CS_CHECK(exists, "--resume: '" << dir << "' holds no run (config.json is missing)");
    const run::RunConfig saved = run::read_run_config(dir);
    check_resume_compatible(saved, rc, o.given);
    rc = saved;
  } else {
    CS_CHECK(!exists || o.force, "'" << dir << "' already holds a run; use --resume to continue it or --force to replace it");
    CS_CHECK(!fs::exists(dir) || fs::is_directory(dir), "--out '" << dir << "' is a file, not a folder");
    rc = setup_new_run(o, dir);
  }
  set_num_threads(rc.train.threads);
  const MatmulPrecision precision = parse_matmul_precision(rc.train.precision);

  const data::TokenStore store = data::TokenStore::open(dir + "/tokens");
  const Config& cfg = rc.model;
  const auto& ts = rc.train;
  const int64_t T = cfg.n_ctx, tokens_per_step = int64_t(ts.batch) * T;
  // The evaluation sequences fixed at setup (SPEC §2): the same ones at every snapshot.
  const auto eval_npy = io::read_npy(dir + "/eval/tokens.npy");
  CS_CHECK(eval_npy.shape.size() == 2 && eval_npy.shape[1] == T + 1,
           dir << "/eval/tokens.npy is not [n_eval, n_ctx + 1]");
  const int n_used = int(eval_npy.shape[0]);
  const auto eval64 = eval_npy.to_int64();
  const std::vector<int32_t> eval_tokens(eval64.begin(), eval64.end());

  Params<float> params(cfg), grads(cfg);
  AdamW<float> opt(params.layout, {ts.beta1, ts.beta2, ts.adam_eps, ts.weight_decay, ts.grad_clip});
  data::BatchSampler sampler(store, int(T), ts.batch, ts.seed + 2);
  int64_t step = 0;
  if (o.resume) {
    const auto st = run::read_train_state(dir, params.layout, rc.run_id);
    params.data = st.params;
    opt.m = st.adam_m;
    opt.v = st.adam_v;
    opt.t = st.adam_t;
    sampler.set_rng_state(st.sampler_rng);
    step = st.step;
    truncate_metrics(dir, step);
    std::fprintf(stderr, "resuming run %s at step %lld\n", rc.run_id.c_str(), static_cast<long long>(step));
  } else {
    params.init(ts.seed);
  }
  EvalRecord eval = o.resume ? read_eval(dir, step, n_used, T) : EvalRecord{};
  const auto snaps = snapshot_steps(ts.steps, ts.n_snapshots);

  auto save_state = [&] {
    run::TrainState st{rc.run_id, step, opt.t, sampler.rng_state(), params.data, opt.m, opt.v};
    run::write_train_state(dir, st);
  };

  Activations<float> acts(cfg, ts.batch, T);
  Activations<float> eval_acts(cfg, std::min(o.eval_batch, n_used), T);
  std::vector<int32_t> windows(tokens_per_step + ts.batch);
  Progress progress(o.label, ts.steps, tokens_per_step, step);
  InterruptScope interrupts;
  auto last_state = std::chrono::steady_clock::now();
  double loss_sum = 0, last_loss = 0;
  int64_t loss_count = 0;
  auto log_t0 = std::chrono::steady_clock::now();
  int64_t log_step0 = step;

  for (;; ++step) {
    if (std::binary_search(snaps.begin(), snaps.end(), step)) {
      run::write_snapshot(run::snapshot_path(dir, step), params, {rc.run_id, step, step * tokens_per_step});
      const auto losses = per_sequence_loss(params, eval_tokens, n_used, eval_acts);
      eval.steps.push_back(step);
      eval.tokens.push_back(step * tokens_per_step);
      eval.per_sequence.insert(eval.per_sequence.end(), losses.begin(), losses.end());
      write_eval(dir, eval, n_used, T);
    }
    if (step >= ts.steps) break;
    if (interrupt_requested()) break;

    const double lr = learning_rate(step, ts.steps, ts.lr, ts.warmup_steps, ts.schedule, ts.min_lr_fraction);
    sampler.next(windows.data());
    acts.set_windows(windows.data());
    const double loss = [&] {
      const MatmulPrecisionScope scope(precision);
      return forward_backward(params, acts, grads);
    }();
    CS_CHECK(std::isfinite(loss), "training diverged at step " << step << " (loss " << loss
                                                              << "); lower --lr (now " << ts.lr << ")");
    const double grad_norm = opt.clip(grads);
    opt.step(params, grads, lr);
    loss_sum += loss;
    ++loss_count;
    last_loss = loss;
    progress.update(step + 1, loss);

    if ((step + 1) % o.log_every == 0 || step + 1 == ts.steps) {
      const auto now = std::chrono::steady_clock::now();
      const double secs = std::chrono::duration<double>(now - log_t0).count();
      append_metrics(dir, {{"step", step + 1},
                           {"tokens", (step + 1) * tokens_per_step},
                           {"loss", loss_sum / double(loss_count)},
                           {"lr", lr},
                           {"grad_norm", grad_norm},
                           {"tokens_per_second", secs > 0 ? double(step + 1 - log_step0) * tokens_per_step / secs : 0.0}});
      loss_sum = 0;
      loss_count = 0;
      log_t0 = now;
      log_step0 = step + 1;
    }
    const bool by_steps = o.state_every_steps > 0 && (step + 1) % o.state_every_steps == 0;
    const bool by_time = std::chrono::duration<double>(std::chrono::steady_clock::now() - last_state).count() >
                         o.state_every_seconds;
    if (by_steps || by_time) {
      ++step;  // the state holds the weights after this step
      save_state();
      --step;
      last_state = std::chrono::steady_clock::now();
    }
  }
  save_state();
  progress.finish();

  TrainResult r;
  r.steps_done = step;
  r.tokens_seen = step * tokens_per_step;
  r.final_loss = last_loss;
  r.tokens_per_second = progress.tokens_per_second();
  r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  r.interrupted = step < ts.steps;
  if (r.interrupted)
    progress.note("interrupted at step " + std::to_string(step) + "; state saved to " +
                  run::state_path(dir) + " (continue with --resume)");
  return r;
}

}  // namespace cs
