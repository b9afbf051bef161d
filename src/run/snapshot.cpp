#include "run/snapshot.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "io/safetensors.h"

namespace cs::run {

namespace fs = std::filesystem;

void write_snapshot(const std::string& path, const Params<float>& params, const SnapshotInfo& info) {
  io::SafeTensorsWriter w;
  for (const auto& v : params.layout.views()) w.add_f32(v.name, v.shape, params.ptr(v.offset));
  const auto& c = params.cfg;
  const int64_t H = c.n_heads, K = c.d_head, D = c.d_model;
  // TransformerLens's state dict has these biases whether or not this model trains them.
  const std::vector<float> zeros(std::max<int64_t>({H * K, D, c.d_vocab}), 0.f);
  auto zero_bias = [&](const std::string& name, std::vector<int64_t> shape) {
    if (!params.layout.has(name)) w.add_f32(name, std::move(shape), zeros.data());
  };
  for (int l = 0; l < c.n_layers; ++l) {
    const std::string p = "blocks." + std::to_string(l) + ".attn.";
    for (const char* b : {"b_Q", "b_K", "b_V"}) zero_bias(p + b, {H, K});
    zero_bias(p + "b_O", {D});
  }
  zero_bias("unembed.b_U", {c.d_vocab});
  w.set_metadata("format", "circuitscope snapshot v1");
  w.set_metadata("run_id", info.run_id);
  w.set_metadata("step", std::to_string(info.step));
  w.set_metadata("tokens", std::to_string(info.tokens));
  w.set_metadata("config", nlohmann::json(c).dump());
  w.write(path);
}

Params<float> read_snapshot(const std::string& path, const Config& cfg, SnapshotInfo* info,
                            const std::string& expected_run_id) {
  const auto st = io::SafeTensors::open(path);
  const auto& meta = st.metadata();
  auto field = [&](const char* key) {
    auto it = meta.find(key);
    CS_CHECK(it != meta.end(), path << ": not a circuitscope snapshot (no '" << key << "' metadata)");
    return it->second;
  };
  const std::string run_id = field("run_id");
  CS_CHECK(expected_run_id.empty() || run_id == expected_run_id,
           path << " belongs to run " << run_id << ", not to this run (" << expected_run_id << ")");
  Params<float> params(cfg);
  for (const auto& v : params.layout.views()) {
    CS_CHECK(st.has(v.name), path << ": tensor '" << v.name << "' is missing");
    const auto& e = st.get(v.name);
    CS_CHECK(e.dtype == "F32", path << ": tensor '" << v.name << "' has dtype " << e.dtype << ", expected F32");
    const auto w = st.get_finite_f32(v.name, v.shape);
    std::copy(w.begin(), w.end(), params.data.begin() + v.offset);
  }
  if (info) {
    info->run_id = run_id;
    try {
      info->step = std::stoll(field("step"));
      info->tokens = std::stoll(field("tokens"));
    } catch (const std::logic_error&) {
      fail(path + ": step or tokens metadata is not a number");
    }
  }
  return params;
}

}  // namespace cs::run
