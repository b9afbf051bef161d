#include "run/train_state.h"

#include <filesystem>

#include "core/error.h"
#include "io/safetensors.h"

namespace cs::run {

void write_train_state(const std::string& path, const TrainState& s) {
  io::SafeTensorsWriter w;
  const int64_t n = int64_t(s.params.size());
  w.add_f32("params", {n}, s.params.data());
  w.add_f32("adam.m", {n}, s.adam_m.data());
  w.add_f32("adam.v", {n}, s.adam_v.data());
  w.set_metadata("format", "circuitscope train state v1");
  w.set_metadata("run_id", s.run_id);
  w.set_metadata("step", std::to_string(s.step));
  w.set_metadata("adam_t", std::to_string(s.adam_t));
  for (int i = 0; i < 4; ++i) w.set_metadata("sampler_rng." + std::to_string(i), std::to_string(s.sampler_rng[i]));
  w.write(path);
}

TrainState read_train_state(const std::string& path, const ParamLayout& layout,
                            const std::string& run_id) {
  CS_CHECK(std::filesystem::exists(path), "cannot resume: " << path << " is missing");
  const auto st = io::SafeTensors::open(path);
  const auto& meta = st.metadata();
  auto field = [&](const std::string& key) {
    auto it = meta.find(key);
    CS_CHECK(it != meta.end(), path << ": no '" << key << "' metadata; not a circuitscope state");
    return it->second;
  };
  TrainState s;
  s.run_id = field("run_id");
  CS_CHECK(s.run_id == run_id, path << " belongs to run " << s.run_id << ", not " << run_id);
  try {
    s.step = std::stoll(field("step"));
    s.adam_t = std::stoll(field("adam_t"));
    for (int i = 0; i < 4; ++i) s.sampler_rng[i] = std::stoull(field("sampler_rng." + std::to_string(i)));
  } catch (const std::logic_error&) {
    fail(path + ": step, adam_t or sampler state is not a number");
  }
  const std::vector<int64_t> shape = {layout.total()};
  s.params = st.get_finite_f32("params", shape);
  s.adam_m = st.get_finite_f32("adam.m", shape);
  s.adam_v = st.get_finite_f32("adam.v", shape);
  return s;
}

}  // namespace cs::run
