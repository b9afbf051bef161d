#pragma once
// What the public handles of <circuitscope/circuitscope.h> hold: the library's own run folder,
// snapshot, tokenizer and activations. Only src/api/ sees these.
#include <circuitscope/circuitscope.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "data/tokenizer.h"
#include "model/activations.h"
#include "model/hooks.h"
#include "run/run_dir.h"

namespace circuitscope {

struct Run::Impl {
  cs::run::RunDir dir;
};

struct Snapshot::Impl {
  cs::run::Snapshot snap;
};

struct Model::Impl {
  cs::run::RunDir run;
  Snapshot snapshot;
  ModelConfig cfg;
  // nullptr when the run has none; `no_tokenizer` then says why.
  std::unique_ptr<cs::data::Tokenizer> tokenizer;
  std::string no_tokenizer;

  const cs::run::Snapshot& snap() const { return snapshot.impl().snap; }
  const cs::data::Tokenizer& tok() const;
};

struct Cache::Impl {
  std::shared_ptr<const Model::Impl> model;
  cs::Activations<float> acts;
};

// Sets the JSON text every result carries.
struct ResultAccess {
  static void set_json(JsonResult& r, const nlohmann::ordered_json& j) { r.json_ = j.dump(2); }
};

ModelConfig public_config(const cs::Config& cfg);
Tensor to_tensor(cs::HookTensor<float> t);
TensorView to_view(const cs::HookView<float>& v);

}  // namespace circuitscope
