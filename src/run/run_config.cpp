#include "run/run_config.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>

#include "core/error.h"
#include "core/json_integer.h"
#include "io/atomic_file.h"

namespace cs::run {

nlohmann::json to_json(const RunConfig& rc) {
  nlohmann::json model = rc.model;
  if (!rc.original_architecture.empty()) model["original_architecture"] = rc.original_architecture;
  const auto& t = rc.train;
  return {{"run_id", rc.run_id},
          {"model", model},
          {"train",
           {{"batch", t.batch}, {"steps", t.steps}, {"lr", t.lr}, {"warmup_steps", t.warmup_steps},
            {"schedule", t.schedule}, {"min_lr_fraction", t.min_lr_fraction},
            {"weight_decay", t.weight_decay}, {"beta1", t.beta1}, {"beta2", t.beta2},
            {"adam_eps", t.adam_eps}, {"grad_clip", t.grad_clip}, {"seed", t.seed},
            {"n_snapshots", t.n_snapshots}, {"n_eval", t.n_eval}, {"eval_windows", t.eval_windows}, {"threads", t.threads},
            {"precision", t.precision}, {"tokens_per_step", int64_t(t.batch) * rc.model.n_ctx}}},
          {"data", rc.data}};
}

RunConfig run_config_from_json(const nlohmann::json& j) {
  RunConfig rc;
  try {
    rc.run_id = j.at("run_id").get<std::string>();
    rc.model = j.at("model").get<Config>();
    rc.original_architecture = j.at("model").value("original_architecture", "");
    const auto& t = j.at("train");
    auto& s = rc.train;
    s.batch = json_integer<int>(t.at("batch"), "config.json: train.batch");
    s.steps = json_integer<int64_t>(t.at("steps"), "config.json: train.steps");
    s.lr = t.at("lr");
    s.warmup_steps = json_integer<int64_t>(t.at("warmup_steps"), "config.json: train.warmup_steps");
    s.schedule = t.at("schedule");
    s.min_lr_fraction = t.at("min_lr_fraction");
    s.weight_decay = t.at("weight_decay");
    s.beta1 = t.at("beta1");
    s.beta2 = t.at("beta2");
    s.adam_eps = t.at("adam_eps");
    s.grad_clip = t.at("grad_clip");
    s.seed = json_integer<uint64_t>(t.at("seed"), "config.json: train.seed");
    s.n_snapshots = json_integer<int>(t.at("n_snapshots"), "config.json: train.n_snapshots");
    s.n_eval = json_integer<int>(t.at("n_eval"), "config.json: train.n_eval");
    s.eval_windows = t.value("eval_windows", "start");  // runs written before the option evaluated at document starts
    s.threads = json_integer<int>(t.at("threads"), "config.json: train.threads");
    s.precision = t.value("precision", "fp32");  // runs written before the option trained in fp32
    rc.data = j.value("data", nlohmann::json::object());
  } catch (const nlohmann::json::exception& e) {
    fail(std::string("config.json: ") + e.what());
  }
  return rc;
}

std::string new_run_id() {
  std::random_device rd;
  const uint64_t a = (uint64_t(rd()) << 32) ^ rd();
  const uint64_t b = uint64_t(std::chrono::steady_clock::now().time_since_epoch().count());
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(a ^ (b * 0x9E3779B97F4A7C15ull)));
  return buf;
}

int64_t steps_for_tokens(int64_t tokens, int batch, int n_ctx) {
  const int64_t per_step = int64_t(batch) * n_ctx;
  return per_step > 0 ? std::max<int64_t>(1, tokens / per_step) : 1;
}

}  // namespace cs::run
