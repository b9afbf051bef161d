// The demo: README's main job. Trains a 1-layer and a 2-layer attention-only model of the same
// width on the same tokens and budget, measures in-context learning over training for both, and
// says plainly whether the 2-layer model went through the phase change and the 1-layer model did
// not (docs/demo.md). Then every analysis of both runs (`analyze --over-training`).
#include "pipeline/demo.h"

#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <optional>
#include <thread>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/format.h"
#include "core/gemm.h"
#include "data/prepare.h"
#include "io/atomic_file.h"
#include "pipeline/demo_recipe.h"
#include "pipeline/demo_verdict.h"
#include "pipeline/run_report.h"
#include "pipeline/icl_runs.h"
#include "train/trainer.h"

namespace cs::pipeline {

namespace {

namespace fs = std::filesystem;

TrainOptions train_options(const DemoRecipe& r, const DemoOptions& a, int n_layers, const std::string& tokens,
                           const std::string& out, int threads) {
  TrainOptions o;
  o.corpus = tokens;
  o.out = out;
  o.force = true;  // the demo folder is the demo's own: a re-run replaces it
  o.label = std::to_string(n_layers) + "L";
  auto& m = o.rc.model;
  m.n_layers = n_layers;
  m.d_model = r.d_model;
  m.n_heads = r.n_heads;
  m.d_head = r.d_head;
  m.n_ctx = r.n_ctx;
  m.d_vocab = a.bytes ? 257 : r.d_vocab;
  m.positional_embedding_type = parse_positions(r.positions);
  m.normalization_type = parse_normalization(r.normalization);
  m.d_mlp = a.d_mlp;
  m.act_fn = parse_act_fn(a.act_fn);
  auto& t = o.rc.train;
  t.batch = r.batch;
  t.lr = r.lr;
  t.warmup_steps = r.warmup;
  t.steps = a.steps > 0 ? a.steps : r.steps;
  t.seed = a.seed;
  t.threads = threads;
  t.n_snapshots = r.snapshots;
  t.n_eval = r.n_eval;
  return o;
}

AnalyzeOptions over_training(bool on = true) {
  AnalyzeOptions options;
  options.over_training = on;
  return options;
}

// The 2-layer run takes every thread from this share of its steps on. By then the 1-layer run
// (about two thirds the work per token) and its analyses are normally done; a fixed step rather
// than the moment the other run ends keeps the result independent of timing.
constexpr double kJoinFraction = 0.75;

struct Trained {
  TrainResult result;
  std::optional<Analyses> analyses;  // set when analysed as soon as its training ended
};

// With two or more threads the two models train side by side, each on half of them: these
// models are too small for a second thread to speed one run by much (docs/demo.md), so two runs at
// once finish sooner than one after the other. The 1-layer run is analysed on its own thread as
// soon as it ends, while the 2-layer run goes on; then the 2-layer run takes its threads too.
std::vector<Trained> train_both(const DemoRecipe& r, const DemoOptions& a, const std::string& tokens,
                                const std::vector<std::string>& dirs, const AnalyzeFn& analyze) {
  std::vector<Trained> trained(2);
  if (a.threads < 2) {
    for (int i = 0; i < 2; ++i) trained[i].result = train(train_options(r, a, i + 1, tokens, dirs[i], a.threads));
    return trained;
  }
  std::vector<std::exception_ptr> errors(2);
  std::vector<std::thread> workers;
  for (int i = 0; i < 2; ++i)
    workers.emplace_back([&, i] {
      try {
        TrainOptions o = train_options(r, a, i + 1, tokens, dirs[i], i == 0 ? a.threads / 2 : a.threads - a.threads / 2);
        if (i == 1) {
          o.more_threads_from_step = int64_t(double(o.rc.train.steps) * kJoinFraction);
          o.more_threads = a.threads;
        }
        trained[i].result = train(o);
        if (i == 0 && !trained[i].result.interrupted) trained[i].analyses = analyze(dirs[i], over_training());
      } catch (...) {
        errors[i] = std::current_exception();
      }
    });
  for (auto& w : workers) w.join();
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
  return trained;
}

// One model's report page and its part of summary.json, from its analyses.
nlohmann::json report_model(const run::RunDir& run, const Analyses& analyses, const ModelIcl& icl) {
  std::printf("report: %s\n", write_report(run, analyses).c_str());
  return model_json(run, analyses, icl);
}

// A pair an earlier demo trained (scripts/ship-demo.sh writes one; models/demo ships with the
// source: its last snapshots, ICL and heads-over-training results). Copied into the demo folder
// and analysed there beside what was trained here, labelled as loaded.
nlohmann::json analyse_loaded(const std::string& from, const std::string& out, const AnalyzeFn& analyze) {
  const std::string dest = out + "/loaded";
  fs::remove_all(dest);
  fs::copy(from, dest, fs::copy_options::recursive);
  const auto about = nlohmann::json::parse(io::read_file(dest + "/" + file_name(File::demo_summary)));
  std::printf("\n== loaded, not trained here: the pair in %s (recipe '%s', seed %s, finished %s) ==\n",
              from.c_str(), about.value("recipe", std::string("?")).c_str(),
              about.contains("seed") ? about["seed"].dump().c_str() : "?",
              about.value("finished", std::string("date unknown")).c_str());
  nlohmann::json models = nlohmann::json::array();
  for (int L : {1, 2}) {
    const run::RunDir run(dest + "/" + std::to_string(L) + "l");
    models.push_back(report_model(run, analyze(run.root(), over_training(false)), model_icl(run)));
  }
  const nlohmann::json v = verdict(models);
  print_verdict(models, v);
  return {{"from", from}, {"finished", about.value("finished", "")}, {"models", models}, {"verdict", v}};
}

// The demo's token folder. Tokens are reused across demo runs when they came from the same named
// corpora, vocabulary and seed; a corpus given by path may have changed, so it is always read again.
std::string demo_tokens(const DemoRecipe& r, const DemoOptions& a) {
  const std::string tokens = a.out + "/" + file_name(File::tokens_dir);
  data::PrepareOptions prep;
  prep.corpus = a.corpus.empty() ? r.corpora : std::vector<std::string>{a.corpus};
  prep.bytes = a.bytes;
  prep.d_vocab = r.d_vocab;
  prep.seed = a.seed;
  prep.threads = a.threads;
  data::prepare_tokens_once(prep, tokens, [](const std::string& line) { std::fprintf(stderr, "demo: %s\n", line.c_str()); });
  return tokens;
}

}  // namespace

void run_demo(const DemoOptions& options, const AnalyzeFn& analyze) {
  const DemoOptions& a = options;
  const auto t0 = std::chrono::steady_clock::now();
  const DemoRecipe& r = demo_recipe(a.full);
  const bool load = !a.pretrained.empty();
  CS_CHECK(!load || fs::exists(a.pretrained + "/" + file_name(File::demo_summary)),
           "--pretrained " << a.pretrained << ": no summary.json there (a folder written by scripts/ship-demo.sh)");
  fs::create_directories(a.out);
  const std::string tokens = demo_tokens(r, a);
  const int d_vocab = a.bytes ? 257 : r.d_vocab;
  std::fprintf(stderr, "demo: recipe '%s': d_model %d, %d heads x %d, n_ctx %d, vocab %d, %s positions, %s, "
               "batch %d, lr %g, %lld steps per model\n", r.name, r.d_model, r.n_heads, r.d_head, r.n_ctx,
               d_vocab, r.positions, r.normalization, r.batch, r.lr,
               static_cast<long long>(a.steps > 0 ? a.steps : r.steps));
  if (a.d_mlp > 0) std::fprintf(stderr, "demo: both models with MLP blocks: d_mlp %d, %s\n", a.d_mlp, a.act_fn.c_str());
  nlohmann::json models = nlohmann::json::array();
  const std::vector<std::string> dirs = {a.out + "/1l", a.out + "/2l"};
  const std::vector<Trained> trained = train_both(r, a, tokens, dirs, analyze);
  for (const auto& t : trained) CS_CHECK(!t.result.interrupted, "demo interrupted; the runs so far are in " << a.out);
  set_num_threads(a.threads);  // the analyses run on this thread, with every thread the demo has
  std::vector<IclRun> results;
  for (const std::string& dir : dirs) results.push_back(icl(dir));
  compare_icl(results, a.out);
  for (size_t i = 0; i < results.size(); ++i) {
    const TrainResult& t = trained[i].result;
    const Analyses analyses = trained[i].analyses ? *trained[i].analyses : analyze(dirs[i], over_training());
    nlohmann::json m = report_model(run::RunDir(dirs[i]), analyses, model_icl(results[i].icl));
    m["final_loss"] = final_eval_loss(results[i].per_token, results[i].icl.n_ctx);
    m["final_train_loss"] = t.final_loss;
    m["wall_seconds"] = t.wall_seconds;
    m["tokens_per_second"] = t.tokens_per_second;
    models.push_back(m);
  }
  const nlohmann::json v = verdict(models);
  const bool bar = v["bar_met"];
  nlohmann::json loaded = nullptr;
  if (load) {
    // What was trained here is kept even when the loaded pair turns out to be broken.
    try {
      loaded = analyse_loaded(a.pretrained, a.out, analyze);
    } catch (const Error& e) {
      std::fprintf(stderr, "demo: the loaded pair in %s could not be analysed: %s\n", a.pretrained.c_str(), e.what());
      loaded = {{"from", a.pretrained}, {"error", e.what()}};
    }
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  nlohmann::json summary = {{"wall_seconds", wall}, {"recipe", r.name}, {"seed", a.seed},
                            {"d_mlp", a.d_mlp}, {"act_fn", a.d_mlp > 0 ? nlohmann::json(a.act_fn) : nlohmann::json()},
                            {"finished", utc_now()}, {"models", models}};
  summary.update(v);
  summary["loaded"] = loaded;
  io::write_file_atomic(a.out + "/" + file_name(File::demo_summary), summary.dump(2) + "\n");
  std::printf("\n== trained here: recipe '%s' ==\n", r.name);
  print_verdict(models, v);
  std::printf("%s\n", bar ? "The 2-layer model went through the phase change and the 1-layer model did not."
                          : "This run did not show the full phase-change picture; docs/demo.md records what "
                            "the recipe showed on other seeds and machines.");
  std::printf("\ndemo finished in %.0f s; summary in %s/summary.json, pictures in %s/*/analysis and "
              "%s/icl_comparison.png\n", wall, a.out.c_str(), a.out.c_str(), a.out.c_str());
}

}  // namespace cs::pipeline
