#include "io/npy.h"

#include <cctype>
#include <cstring>

#include "core/error.h"
#include "io/atomic_file.h"
#include "io/half.h"

namespace cs::io {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;

// numpy spells one-byte types with '|' but accepts '<' too; normalise so comparisons are simple.
std::string normalise_descr(const std::string& d) {
  if (d == "<u1" || d == "u1" || d == "=u1") return "|u1";
  if (d == "<i1" || d == "i1" || d == "=i1") return "|i1";
  return d;
}

int descr_item_size(const std::string& d) {
  if (d == "|u1" || d == "|i1") return 1;
  if (d == "<f2" || d == "<u2" || d == "<i2") return 2;
  if (d == "<f4" || d == "<i4" || d == "<u4") return 4;
  if (d == "<f8" || d == "<i8" || d == "<u8") return 8;
  return 0;
}

template <class T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

// Minimal parser for the Python dict literal numpy writes:
// {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
class HeaderParser {
 public:
  HeaderParser(const std::string& text, const std::string& path) : s_(text), path_(path) {}

  void parse(std::string& descr, bool& fortran, std::vector<int64_t>& shape) {
    bool seen_descr = false, seen_fortran = false, seen_shape = false;
    expect('{');
    while (true) {
      skip_ws();
      if (peek() == '}') break;
      const std::string key = string_lit();
      expect(':');
      if (key == "descr") {
        descr = string_lit();
        seen_descr = true;
      } else if (key == "fortran_order") {
        fortran = bool_lit();
        seen_fortran = true;
      } else if (key == "shape") {
        shape = tuple_lit();
        seen_shape = true;
      } else {
        bad("unexpected key '" + key + "'");
      }
      skip_ws();
      if (peek() == ',') ++i_;
    }
    CS_CHECK(seen_descr && seen_fortran && seen_shape,
             path_ << ": .npy header lacks one of descr, fortran_order, shape: " << s_);
  }

 private:
  [[noreturn]] void bad(const std::string& what) {
    cs::fail(path_ + ": malformed .npy header (" + what + "): " + s_);
  }
  void skip_ws() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  char peek() {
    if (i_ >= s_.size()) bad("ends early");
    return s_[i_];
  }
  void expect(char c) {
    skip_ws();
    if (peek() != c) bad(std::string("expected '") + c + "'");
    ++i_;
  }
  std::string string_lit() {
    skip_ws();
    const char q = peek();
    if (q != '\'' && q != '"') bad("expected a string");
    const size_t end = s_.find(q, i_ + 1);
    if (end == std::string::npos) bad("unterminated string");
    std::string out = s_.substr(i_ + 1, end - i_ - 1);
    i_ = end + 1;
    return out;
  }
  bool bool_lit() {
    skip_ws();
    if (s_.compare(i_, 4, "True") == 0) { i_ += 4; return true; }
    if (s_.compare(i_, 5, "False") == 0) { i_ += 5; return false; }
    bad("expected True or False");
  }
  std::vector<int64_t> tuple_lit() {
    std::vector<int64_t> dims;
    expect('(');
    while (true) {
      skip_ws();
      if (peek() == ')') { ++i_; break; }
      if (!std::isdigit(static_cast<unsigned char>(peek()))) bad("shape entries must be integers");
      int64_t v = 0;
      while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) {
        if (v > (INT64_MAX - 9) / 10) bad("shape entry too large");
        v = v * 10 + (s_[i_++] - '0');
      }
      // numpy writes 'L' suffixes in files from Python 2.
      if (i_ < s_.size() && s_[i_] == 'L') ++i_;
      dims.push_back(v);
      skip_ws();
      if (peek() == ',') ++i_;
    }
    return dims;
  }

  const std::string& s_;
  const std::string& path_;
  size_t i_ = 0;
};

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    s += std::to_string(shape[i]);
    if (shape.size() == 1 || i + 1 < shape.size()) s += ",";
    if (i + 1 < shape.size()) s += " ";
  }
  return s + ")";
}

int64_t shape_numel(const std::vector<int64_t>& shape, const std::string& path) {
  int64_t n = 1;
  for (int64_t d : shape) {
    CS_CHECK(d >= 0, path << ": negative dimension " << d << " in shape " << shape_text(shape));
    CS_CHECK(d == 0 || n <= INT64_MAX / d, path << ": shape " << shape_text(shape) << " too large");
    n *= d;
  }
  return n;
}

}  // namespace

int64_t NpyArray::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

int NpyArray::item_size() const { return descr_item_size(dtype); }

std::vector<double> NpyArray::to_double() const {
  const int64_t n = numel();
  std::vector<double> out(static_cast<size_t>(n));
  const uint8_t* p = bytes.data();
  for (int64_t i = 0; i < n; ++i) {
    double v;
    if (dtype == "<f4") v = load<float>(p + 4 * i);
    else if (dtype == "<f8") v = load<double>(p + 8 * i);
    else if (dtype == "<f2") v = half_to_float(load<uint16_t>(p + 2 * i));
    else if (dtype == "<i4") v = double(load<int32_t>(p + 4 * i));
    else if (dtype == "<i8") v = double(load<int64_t>(p + 8 * i));
    else if (dtype == "<u2") v = load<uint16_t>(p + 2 * i);
    else if (dtype == "<i2") v = load<int16_t>(p + 2 * i);
    else if (dtype == "<u4") v = load<uint32_t>(p + 4 * i);
    else if (dtype == "<u8") v = double(load<uint64_t>(p + 8 * i));
    else if (dtype == "|u1") v = p[i];
    else if (dtype == "|i1") v = int8_t(p[i]);
    else cs::fail("cannot convert .npy dtype '" + dtype + "' to a number");
    out[size_t(i)] = v;
  }
  return out;
}

std::vector<float> NpyArray::to_float() const {
  const int64_t n = numel();
  std::vector<float> out(static_cast<size_t>(n));
  if (dtype == "<f4") {
    if (n > 0) std::memcpy(out.data(), bytes.data(), size_t(n) * 4);  // an empty vector's data() may be null
    return out;
  }
  if (dtype == "<f2") {
    for (int64_t i = 0; i < n; ++i) out[size_t(i)] = half_to_float(load<uint16_t>(&bytes[2 * i]));
    return out;
  }
  const std::vector<double> d = to_double();
  for (int64_t i = 0; i < n; ++i) out[size_t(i)] = float(d[size_t(i)]);
  return out;
}

std::vector<int64_t> NpyArray::to_int64() const {
  const int64_t n = numel();
  std::vector<int64_t> out(static_cast<size_t>(n));
  const uint8_t* p = bytes.data();
  for (int64_t i = 0; i < n; ++i) {
    int64_t v;
    if (dtype == "<i8") v = load<int64_t>(p + 8 * i);
    else if (dtype == "<i4") v = load<int32_t>(p + 4 * i);
    else if (dtype == "<i2") v = load<int16_t>(p + 2 * i);
    else if (dtype == "<u2") v = load<uint16_t>(p + 2 * i);
    else if (dtype == "<u4") v = load<uint32_t>(p + 4 * i);
    else if (dtype == "|u1") v = p[i];
    else if (dtype == "|i1") v = int8_t(p[i]);
    else if (dtype == "<u8") {
      const uint64_t u = load<uint64_t>(p + 8 * i);
      CS_CHECK(u <= uint64_t(INT64_MAX), "uint64 value " << u << " does not fit int64");
      v = int64_t(u);
    } else {
      cs::fail("expected an integer .npy array, got dtype '" + dtype + "'");
    }
    out[size_t(i)] = v;
  }
  return out;
}

NpyArray read_npy(const std::string& path) {
  const std::string file = read_file(path);
  const size_t size = file.size();
  CS_CHECK(size >= 10 && std::memcmp(file.data(), kMagic, kMagicLen) == 0,
           path << ": not a .npy file (missing the \\x93NUMPY magic)");
  const int major = static_cast<unsigned char>(file[6]);
  CS_CHECK(major >= 1 && major <= 3, path << ": unsupported .npy version " << major);
  size_t header_len, header_start;
  if (major == 1) {
    header_len = load<uint16_t>(reinterpret_cast<const uint8_t*>(file.data()) + 8);
    header_start = 10;
  } else {
    CS_CHECK(size >= 12, path << ": .npy file truncated inside its preamble (" << size << " bytes)");
    header_len = load<uint32_t>(reinterpret_cast<const uint8_t*>(file.data()) + 8);
    header_start = 12;
  }
  CS_CHECK(header_len <= size - header_start,
           path << ": .npy header length " << header_len << " runs past the end of the "
                << size << "-byte file");
  const std::string header = file.substr(header_start, header_len);

  NpyArray a;
  bool fortran = false;
  HeaderParser(header, path).parse(a.dtype, fortran, a.shape);
  CS_CHECK(!fortran, path << ": fortran_order arrays are not supported; save with C order");
  a.dtype = normalise_descr(a.dtype);
  const int item = descr_item_size(a.dtype);
  CS_CHECK(item > 0, path << ": unsupported .npy dtype '" << a.dtype
                          << "' (supported: <f2 <f4 <f8 <i2 <i4 <i8 <u2 <u4 <u8 |u1 |i1)");
  const int64_t n = shape_numel(a.shape, path);
  const size_t data_start = header_start + header_len;
  const size_t have = size - data_start;
  const bool fits = n <= INT64_MAX / item;  // else n * item overflows, in the message too
  CS_CHECK(fits && size_t(n) * size_t(item) == have,
           path << ": shape " << shape_text(a.shape) << " of " << a.dtype << " needs "
                << (fits ? std::to_string(n * item) : "over 2^63")
                << " data bytes but the file holds " << have);
  a.bytes.assign(file.begin() + std::ptrdiff_t(data_start), file.end());
  return a;
}

void write_npy_raw(const std::string& path, const std::string& dtype,
                   const std::vector<int64_t>& shape, const void* data, size_t nbytes) {
  const std::string descr = normalise_descr(dtype);
  const int item = descr_item_size(descr);
  CS_CHECK(item > 0, "cannot write .npy dtype '" << dtype << "' to " << path);
  const int64_t n = shape_numel(shape, path);
  CS_CHECK(size_t(n) * size_t(item) == nbytes,
           path << ": shape " << shape_text(shape) << " of " << descr << " needs " << n * item
                << " bytes, given " << nbytes);
  std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " +
                       shape_text(shape) + ", }";
  // numpy pads so the data starts on a 64-byte boundary, ending the header with a newline.
  const size_t unpadded = kMagicLen + 4 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  CS_CHECK(header.size() <= 65535, path << ": .npy header too long for format 1.0");
  std::string pre(kMagic, kMagicLen);
  pre += '\x01';
  pre += '\x00';
  const uint16_t hl = uint16_t(header.size());
  pre.append(reinterpret_cast<const char*>(&hl), 2);
  AtomicFile f(path);
  f.write(pre);
  f.write(header);
  if (nbytes > 0) f.write(data, nbytes);
  f.commit();
}

namespace {
template <class T>
size_t nbytes_of(const std::vector<int64_t>& shape, const std::string& path) {
  return size_t(shape_numel(shape, path)) * sizeof(T);
}
}  // namespace

void write_npy(const std::string& path, const float* d, const std::vector<int64_t>& s) {
  write_npy_raw(path, "<f4", s, d, nbytes_of<float>(s, path));
}
void write_npy(const std::string& path, const double* d, const std::vector<int64_t>& s) {
  write_npy_raw(path, "<f8", s, d, nbytes_of<double>(s, path));
}
void write_npy(const std::string& path, const int32_t* d, const std::vector<int64_t>& s) {
  write_npy_raw(path, "<i4", s, d, nbytes_of<int32_t>(s, path));
}
void write_npy(const std::string& path, const int64_t* d, const std::vector<int64_t>& s) {
  write_npy_raw(path, "<i8", s, d, nbytes_of<int64_t>(s, path));
}
void write_npy(const std::string& path, const uint8_t* d, const std::vector<int64_t>& s) {
  write_npy_raw(path, "|u1", s, d, nbytes_of<uint8_t>(s, path));
}
void write_npy(const std::string& path, const uint16_t* d, const std::vector<int64_t>& s) {
  write_npy_raw(path, "<u2", s, d, nbytes_of<uint16_t>(s, path));
}
void write_npy(const std::string& path, const uint32_t* d, const std::vector<int64_t>& s) {
  write_npy_raw(path, "<u4", s, d, nbytes_of<uint32_t>(s, path));
}

void write_npy_f16(const std::string& path, const float* d, const std::vector<int64_t>& s) {
  const size_t n = size_t(shape_numel(s, path));
  std::vector<uint16_t> h(n);
  for (size_t i = 0; i < n; ++i) h[i] = float_to_half(d[i]);
  write_npy_raw(path, "<f2", s, h.data(), n * 2);
}

}  // namespace cs::io
