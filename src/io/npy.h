#pragma once
// numpy's .npy format (version 1.0 written; 1.0, 2.0 and 3.0 read), so Python users open run files
// with numpy.load and nothing else. Little-endian, C order only.
#include <cstdint>
#include <string>
#include <vector>

namespace cs::io {

struct NpyArray {
  std::string dtype;  // numpy descr: "<f4", "<f2", "<f8", "<i4", "<i8", "<u2", "<u4", "<u8", "|u1", "|i1"
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;  // numel() * item_size(), C order

  int64_t numel() const;
  int item_size() const;
  // Every supported dtype converted to float (integers beyond 2^24 lose precision).
  std::vector<float> to_float() const;
  std::vector<double> to_double() const;
  // Integer dtypes only; a value outside int64 (a large u8... u64) is an error.
  std::vector<int64_t> to_int64() const;
};

NpyArray read_npy(const std::string& path);

// Atomic (temporary name + rename). shape {} writes a 0-d array holding one value.
void write_npy(const std::string& path, const float* data, const std::vector<int64_t>& shape);
void write_npy(const std::string& path, const double* data, const std::vector<int64_t>& shape);
void write_npy(const std::string& path, const int32_t* data, const std::vector<int64_t>& shape);
void write_npy(const std::string& path, const int64_t* data, const std::vector<int64_t>& shape);
void write_npy(const std::string& path, const uint8_t* data, const std::vector<int64_t>& shape);
void write_npy(const std::string& path, const uint16_t* data, const std::vector<int64_t>& shape);
void write_npy(const std::string& path, const uint32_t* data, const std::vector<int64_t>& shape);
// Stores float data as "<f2", rounding to nearest even (bit-equal with numpy's astype).
void write_npy_f16(const std::string& path, const float* data, const std::vector<int64_t>& shape);

// Any supported descr with raw little-endian bytes; used by the typed overloads.
void write_npy_raw(const std::string& path, const std::string& dtype,
                   const std::vector<int64_t>& shape, const void* data, size_t nbytes);

}  // namespace cs::io
