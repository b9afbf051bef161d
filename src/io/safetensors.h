#pragma once
// The safetensors format (what HuggingFace and TransformerLens users load): an 8-byte
// little-endian header size N, N bytes of JSON
//   {"__metadata__": {str: str}, NAME: {"dtype", "shape", "data_offsets": [begin, end]}, ...}
// then the raw little-endian tensor bytes, offsets relative to the end of the header.
// Snapshots may be truncated or tampered with, so the reader checks every field before any tensor
// is handed out.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "io/mapped_file.h"

namespace cs::io {

class SafeTensors {
 public:
  struct Entry {
    std::string dtype;  // "F32", "F64", "F16", "BF16", "I32", "I64", "U16", "U32", "U8", "I8", "I16", "U64", "BOOL"
    std::vector<int64_t> shape;
    const uint8_t* data = nullptr;  // valid while this SafeTensors (or a copy of it) lives
    size_t nbytes = 0;
    int64_t numel() const;
  };

  // The file is memory-mapped; copies share the mapping.
  static SafeTensors open(const std::string& path);

  const std::string& path() const { return path_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  std::vector<std::string> names() const;  // sorted
  bool has(const std::string& name) const { return entries_.count(name) != 0; }
  const Entry& get(const std::string& name) const;

  // Converting getters. Floats accept F32/F64/F16/BF16, integers accept I32/I64/U16/U32/U8/I8/I16.
  // The shape overloads fail with a message naming the tensor, the expected and the stored shape.
  std::vector<float> get_f32(const std::string& name) const;
  std::vector<float> get_f32(const std::string& name, const std::vector<int64_t>& shape) const;
  // get_f32 of weights: a NaN or infinity is an error naming the file, the tensor and the index,
  // before it can surface far away (a solver that does not converge, NaN in every score).
  std::vector<float> get_finite_f32(const std::string& name, const std::vector<int64_t>& shape) const;
  std::vector<double> get_f64(const std::string& name) const;
  std::vector<double> get_f64(const std::string& name, const std::vector<int64_t>& shape) const;
  std::vector<int32_t> get_i32(const std::string& name) const;
  std::vector<int32_t> get_i32(const std::string& name, const std::vector<int64_t>& shape) const;
  std::vector<int64_t> get_i64(const std::string& name) const;
  std::vector<int64_t> get_i64(const std::string& name, const std::vector<int64_t>& shape) const;

 private:
  void check_shape(const std::string& name, const std::vector<int64_t>& shape) const;

  std::string path_;
  MappedFile file_;
  std::map<std::string, std::string> metadata_;
  std::map<std::string, Entry> entries_;
};

// Bytes per element of a safetensors dtype, 0 when unknown.
int safetensors_dtype_size(const std::string& dtype);

class SafeTensorsWriter {
 public:
  void set_metadata(const std::string& key, const std::string& value);
  // Copies the bytes. A name added twice is an error.
  void add(const std::string& name, const std::string& dtype, const std::vector<int64_t>& shape,
           const void* data, size_t nbytes);
  void add_f32(const std::string& name, const std::vector<int64_t>& shape, const float* data);
  void add_f64(const std::string& name, const std::vector<int64_t>& shape, const double* data);
  void add_i32(const std::string& name, const std::vector<int64_t>& shape, const int32_t* data);
  void add_i64(const std::string& name, const std::vector<int64_t>& shape, const int64_t* data);
  // Stores floats as F16 (round to nearest even).
  void add_f16(const std::string& name, const std::vector<int64_t>& shape, const float* data);

  // The whole file as bytes: tensors in name order, header padded with spaces to 8 bytes.
  std::string serialize() const;
  // Atomic (temporary name + rename).
  void write(const std::string& path) const;

 private:
  std::string header() const;

  struct Tensor {
    std::string dtype;
    std::vector<int64_t> shape;
    std::vector<uint8_t> bytes;
  };
  std::map<std::string, std::string> metadata_;
  std::map<std::string, Tensor> tensors_;
};

}  // namespace cs::io
