#include "import/hf_weights.h"

#include <filesystem>

#include "core/error.h"
#include "core/files.h"
#include "io/json_file.h"

namespace cs::hf {

namespace fs = std::filesystem;

std::map<std::string, std::string> parse_safetensors_index(const nlohmann::json& index) {
  const std::string where = file_name(File::hf_weights_index);
  CS_CHECK(index.is_object() && index.contains("weight_map") && index.at("weight_map").is_object(),
           where << " has no weight_map object");
  std::map<std::string, std::string> shard_of;
  for (const auto& [name, file] : index.at("weight_map").items()) {
    CS_CHECK(file.is_string(), where << ": the shard of tensor '" << name << "' is not a file name");
    const std::string f = file.get<std::string>();
    // A shard outside the model's folder would let an index read any file on the machine.
    CS_CHECK(!f.empty() && f.find('/') == std::string::npos && f != "." && f != "..",
             where << ": shard '" << f << "' of tensor '" << name << "' is not a file name in the model's folder");
    shard_of[name] = f;
  }
  CS_CHECK(!shard_of.empty(), where << " lists no tensors");
  return shard_of;
}

HfWeights HfWeights::open(const std::string& dir) {
  HfWeights w;
  w.dir_ = dir;
  const fs::path root(dir);
  const fs::path single = root / file_name(File::hf_weights), index = root / file_name(File::hf_weights_index);
  std::map<std::string, std::string> file_of;
  if (fs::exists(index)) {
    file_of = parse_safetensors_index(io::read_json_file(index.string()));
  } else {
    CS_CHECK(fs::exists(single) || !fs::exists(root / file_name(File::hf_torch_weights)),
             dir << " holds only " << file_name(File::hf_torch_weights) << "; convert it to "
                 << file_name(File::hf_weights) << " first: python3 -m circuitscope.convert " << dir);
    CS_CHECK(fs::exists(single), dir << " has neither " << file_name(File::hf_weights) << " nor "
                                     << file_name(File::hf_weights_index));
    for (const auto& name : io::SafeTensors::open(single.string()).names()) file_of[name] = single.filename();
  }
  std::map<std::string, size_t> shard_index;
  for (const auto& [name, file] : file_of) {
    auto [it, added] = shard_index.try_emplace(file, w.shards_.size());
    if (added) w.shards_.push_back(io::SafeTensors::open((root / file).string()));
    CS_CHECK(w.shards_[it->second].has(name),
             (root / file).string() << " lacks tensor '" << name << "' that the index places there");
    w.shard_of_[name] = it->second;
  }
  return w;
}

std::vector<float> HfWeights::take(const std::string& name, const std::vector<int64_t>& shape) {
  auto it = shard_of_.find(name);
  CS_CHECK(it != shard_of_.end(), dir_ << ": the weights have no tensor '" << name << "'");
  taken_.insert(name);
  return shards_[it->second].get_finite_f32(name, shape);
}

std::vector<std::string> HfWeights::untaken() const {
  std::vector<std::string> names;
  for (const auto& [name, shard] : shard_of_)
    if (!taken_.count(name)) names.push_back(name);
  return names;
}

}  // namespace cs::hf
