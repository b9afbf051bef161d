#pragma once
// The tensors of a Hugging Face model folder: DIR/model.safetensors, or the shards that
// DIR/model.safetensors.index.json lists. Files are memory-mapped; each tensor is converted to
// float once, when a layout takes it. Every tensor a layout does not take must be one it names as
// ignorable, so weights for more layers than config.json says are an error, not silently dropped.
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "io/safetensors.h"

namespace cs::hf {

// An index's weight_map: tensor name -> shard file name (checked to name a file in the same folder).
std::map<std::string, std::string> parse_safetensors_index(const nlohmann::json& index);

class HfWeights {
 public:
  // A folder holding only pytorch_model.bin is an error naming the converter.
  static HfWeights open(const std::string& dir);

  bool has(const std::string& name) const { return shard_of_.count(name) != 0; }
  // The tensor as float, of exactly this shape; a missing tensor is an error naming it and the file.
  std::vector<float> take(const std::string& name, const std::vector<int64_t>& shape);
  // Names never taken, sorted.
  std::vector<std::string> untaken() const;

 private:
  std::string dir_;
  std::vector<io::SafeTensors> shards_;
  std::map<std::string, size_t> shard_of_;
  std::set<std::string> taken_;
};

}  // namespace cs::hf
