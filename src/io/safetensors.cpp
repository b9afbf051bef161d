#include "io/safetensors.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "io/atomic_file.h"
#include "io/half.h"
#include "io/mapped_file.h"

namespace cs::io {

namespace {

using json = nlohmann::json;

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

template <class T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

template <class Out>
std::vector<Out> convert_float(const SafeTensors::Entry& e, const std::string& path,
                               const std::string& name) {
  const size_t n = size_t(e.numel());
  std::vector<Out> out(n);
  const uint8_t* p = e.data;
  if (e.dtype == "F32") {
    for (size_t i = 0; i < n; ++i) out[i] = Out(load<float>(p + 4 * i));
  } else if (e.dtype == "F64") {
    for (size_t i = 0; i < n; ++i) out[i] = Out(load<double>(p + 8 * i));
  } else if (e.dtype == "F16") {
    for (size_t i = 0; i < n; ++i) out[i] = Out(half_to_float(load<uint16_t>(p + 2 * i)));
  } else if (e.dtype == "BF16") {
    for (size_t i = 0; i < n; ++i) out[i] = Out(bf16_to_float(load<uint16_t>(p + 2 * i)));
  } else {
    cs::fail(path + ": tensor '" + name + "' has dtype " + e.dtype + ", expected a float type");
  }
  return out;
}

template <class Out>
std::vector<Out> convert_int(const SafeTensors::Entry& e, const std::string& path,
                             const std::string& name) {
  const size_t n = size_t(e.numel());
  std::vector<Out> out(n);
  const uint8_t* p = e.data;
  auto put = [&](size_t i, int64_t v) {
    CS_CHECK(v >= int64_t(std::numeric_limits<Out>::min()) &&
                 v <= int64_t(std::numeric_limits<Out>::max()),
             path << ": tensor '" << name << "' value " << v << " at index " << i
                  << " does not fit the requested integer type");
    out[i] = Out(v);
  };
  if (e.dtype == "I64") {
    for (size_t i = 0; i < n; ++i) put(i, load<int64_t>(p + 8 * i));
  } else if (e.dtype == "I32") {
    for (size_t i = 0; i < n; ++i) put(i, load<int32_t>(p + 4 * i));
  } else if (e.dtype == "I16") {
    for (size_t i = 0; i < n; ++i) put(i, load<int16_t>(p + 2 * i));
  } else if (e.dtype == "U32") {
    for (size_t i = 0; i < n; ++i) put(i, load<uint32_t>(p + 4 * i));
  } else if (e.dtype == "U16") {
    for (size_t i = 0; i < n; ++i) put(i, load<uint16_t>(p + 2 * i));
  } else if (e.dtype == "U8" || e.dtype == "BOOL") {
    for (size_t i = 0; i < n; ++i) put(i, p[i]);
  } else if (e.dtype == "I8") {
    for (size_t i = 0; i < n; ++i) put(i, int8_t(p[i]));
  } else {
    cs::fail(path + ": tensor '" + name + "' has dtype " + e.dtype + ", expected an integer type");
  }
  return out;
}

}  // namespace

int safetensors_dtype_size(const std::string& d) {
  if (d == "F64" || d == "I64" || d == "U64") return 8;
  if (d == "F32" || d == "I32" || d == "U32") return 4;
  if (d == "F16" || d == "BF16" || d == "I16" || d == "U16") return 2;
  if (d == "U8" || d == "I8" || d == "BOOL") return 1;
  return 0;
}

int64_t SafeTensors::Entry::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

namespace {

// The header's JSON object, and where the data area it describes lies in the mapped file.
struct Header {
  json fields;
  const uint8_t* data = nullptr;
  uint64_t data_size = 0;
};

Header read_header(const std::string& path, const uint8_t* base, size_t size) {
  CS_CHECK(size >= 8, path << ": safetensors file is " << size
                           << " bytes, shorter than its 8-byte header size");
  const uint64_t header_len = load<uint64_t>(base);
  CS_CHECK(header_len <= size - 8, path << ": safetensors header length " << header_len
                                        << " runs past the end of the " << size << "-byte file");
  const char* header = reinterpret_cast<const char*>(base + 8);
  CS_CHECK(header_len >= 2 && header[0] == '{',
           path << ": safetensors header does not start with a JSON object");
  Header h;
  try {
    h.fields = json::parse(header, header + header_len);
  } catch (const json::exception& e) {  // out_of_range too: a number beyond double's range
    cs::fail(path + ": safetensors header is not valid JSON (" + e.what() + ")");
  }
  CS_CHECK(h.fields.is_object(), path << ": safetensors header is not a JSON object");
  h.data = base + 8 + header_len;
  h.data_size = size - 8 - header_len;
  return h;
}

std::map<std::string, std::string> read_metadata(const std::string& path, const json& v) {
  CS_CHECK(v.is_object(), path << ": __metadata__ must be an object of strings");
  std::map<std::string, std::string> metadata;
  for (auto m = v.begin(); m != v.end(); ++m) {
    CS_CHECK(m.value().is_string(),
             path << ": __metadata__ value for '" << m.key() << "' is not a string");
    metadata[m.key()] = m.value().get<std::string>();
  }
  return metadata;
}

// The shape into `shape`; returns its element count, bounded so that byte counts (up to 8 bytes
// an element) cannot overflow.
uint64_t read_shape(const std::string& where, const json& v, std::vector<int64_t>& shape) {
  CS_CHECK(v["shape"].is_array(), where << " has a shape that is not a list");
  constexpr uint64_t kMaxNumel = uint64_t(1) << 60;
  uint64_t numel = 1;
  for (const json& d : v["shape"]) {
    CS_CHECK(d.is_number_unsigned(), where << " has a shape entry that is not a non-negative integer: " << d.dump());
    const uint64_t dim = d.get<uint64_t>();
    CS_CHECK(dim < kMaxNumel && (dim == 0 || numel <= kMaxNumel / dim),
             where << " has an impossibly large shape " << v["shape"].dump());
    numel *= dim;
    shape.push_back(int64_t(dim));
  }
  return numel;
}

// A tensor's entry, checked against the data area; `span` gets its byte range there.
SafeTensors::Entry read_entry(const std::string& where, const json& v, const Header& h,
                              std::pair<uint64_t, uint64_t>& span) {
  CS_CHECK(v.is_object() && v.contains("dtype") && v.contains("shape") &&
               v.contains("data_offsets"),
           where << " needs dtype, shape and data_offsets");
  CS_CHECK(v["dtype"].is_string(), where << " has a non-string dtype");
  SafeTensors::Entry e;
  e.dtype = v["dtype"].get<std::string>();
  const int item = safetensors_dtype_size(e.dtype);
  CS_CHECK(item > 0, where << " has unknown dtype '" << e.dtype << "'");
  const uint64_t numel = read_shape(where, v, e.shape);
  const json& off = v["data_offsets"];
  CS_CHECK(off.is_array() && off.size() == 2 && off[0].is_number_unsigned() &&
               off[1].is_number_unsigned(),
           where << " has data_offsets that are not two non-negative integers: " << off.dump());
  const uint64_t begin = off[0].get<uint64_t>(), end = off[1].get<uint64_t>();
  CS_CHECK(begin <= end, where << " has data_offsets [" << begin << ", " << end
                               << "] that end before they begin");
  CS_CHECK(end <= h.data_size, where << " has data_offsets [" << begin << ", " << end
                                     << "] outside the " << h.data_size << "-byte data area");
  CS_CHECK(numel * uint64_t(item) == end - begin,
           where << " has shape " << shape_text(e.shape) << " of " << e.dtype << " ("
                 << numel * uint64_t(item) << " bytes) but data_offsets [" << begin << ", "
                 << end << "] span " << end - begin << " bytes");
  e.data = h.data + begin;
  e.nbytes = size_t(end - begin);
  span = {begin, end};
  return e;
}

// spans[i]: the byte range of the tensor names[i].
void check_no_overlap(const std::string& path,
                      const std::vector<std::pair<uint64_t, uint64_t>>& spans,
                      const std::vector<std::string>& names) {
  std::vector<size_t> order(spans.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return spans[a] < spans[b]; });
  for (size_t k = 1; k < order.size(); ++k) {
    const auto& prev = spans[order[k - 1]];
    const auto& cur = spans[order[k]];
    // Empty tensors occupy no bytes and cannot overlap anything.
    if (cur.first == cur.second || prev.first == prev.second) continue;
    CS_CHECK(cur.first >= prev.second,
             path << ": tensor '" << names[order[k]] << "' bytes [" << cur.first << ", "
                  << cur.second << ") overlap tensor '" << names[order[k - 1]] << "' bytes ["
                  << prev.first << ", " << prev.second << ")");
  }
}

}  // namespace

SafeTensors SafeTensors::open(const std::string& path) {
  SafeTensors st;
  st.path_ = path;
  st.file_ = MappedFile::open(path);
  const Header h = read_header(path, st.file_.data(), st.file_.size());
  std::vector<std::pair<uint64_t, uint64_t>> spans;  // for the overlap check
  std::vector<std::string> span_names;
  for (auto it = h.fields.begin(); it != h.fields.end(); ++it) {
    const std::string& name = it.key();
    if (name == "__metadata__") {
      st.metadata_ = read_metadata(path, it.value());
      continue;
    }
    std::pair<uint64_t, uint64_t> span;
    Entry e = read_entry(path + ": tensor '" + name + "'", it.value(), h, span);
    spans.push_back(span);
    span_names.push_back(name);
    st.entries_.emplace(name, std::move(e));
  }
  check_no_overlap(path, spans, span_names);
  return st;
}

std::vector<std::string> SafeTensors::names() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : entries_) out.push_back(k);
  return out;
}

const SafeTensors::Entry& SafeTensors::get(const std::string& name) const {
  auto it = entries_.find(name);
  CS_CHECK(it != entries_.end(), path_ << ": no tensor named '" << name << "'");
  return it->second;
}

void SafeTensors::check_shape(const std::string& name, const std::vector<int64_t>& shape) const {
  const Entry& e = get(name);
  CS_CHECK(e.shape == shape, path_ << ": tensor '" << name << "' has shape " << shape_text(e.shape)
                                   << ", expected " << shape_text(shape));
}

std::vector<float> SafeTensors::get_f32(const std::string& name) const {
  return convert_float<float>(get(name), path_, name);
}
std::vector<float> SafeTensors::get_f32(const std::string& name,
                                        const std::vector<int64_t>& shape) const {
  check_shape(name, shape);
  return get_f32(name);
}
std::vector<float> SafeTensors::get_finite_f32(const std::string& name,
                                               const std::vector<int64_t>& shape) const {
  std::vector<float> v = get_f32(name, shape);
  const auto bad = std::find_if(v.begin(), v.end(), [](float x) { return !std::isfinite(x); });
  CS_CHECK(bad == v.end(), path_ << ": tensor '" << name << "' holds a non-finite value (" << *bad
                                 << " at flat index " << (bad - v.begin()) << ")");
  return v;
}
std::vector<double> SafeTensors::get_f64(const std::string& name) const {
  return convert_float<double>(get(name), path_, name);
}
std::vector<double> SafeTensors::get_f64(const std::string& name,
                                         const std::vector<int64_t>& shape) const {
  check_shape(name, shape);
  return get_f64(name);
}
std::vector<int32_t> SafeTensors::get_i32(const std::string& name) const {
  return convert_int<int32_t>(get(name), path_, name);
}
std::vector<int32_t> SafeTensors::get_i32(const std::string& name,
                                          const std::vector<int64_t>& shape) const {
  check_shape(name, shape);
  return get_i32(name);
}
std::vector<int64_t> SafeTensors::get_i64(const std::string& name) const {
  return convert_int<int64_t>(get(name), path_, name);
}
std::vector<int64_t> SafeTensors::get_i64(const std::string& name,
                                          const std::vector<int64_t>& shape) const {
  check_shape(name, shape);
  return get_i64(name);
}

// ---------------------------------------------------------------------------------------------

void SafeTensorsWriter::set_metadata(const std::string& key, const std::string& value) {
  metadata_[key] = value;
}

void SafeTensorsWriter::add(const std::string& name, const std::string& dtype,
                            const std::vector<int64_t>& shape, const void* data, size_t nbytes) {
  CS_CHECK(!name.empty() && name != "__metadata__", "invalid safetensors tensor name '" << name << "'");
  CS_CHECK(!tensors_.count(name), "tensor '" << name << "' added twice");
  const int item = safetensors_dtype_size(dtype);
  CS_CHECK(item > 0, "tensor '" << name << "': unknown safetensors dtype '" << dtype << "'");
  int64_t n = 1;
  for (int64_t d : shape) {
    CS_CHECK(d >= 0, "tensor '" << name << "': negative dimension in shape " << shape_text(shape));
    n *= d;
  }
  CS_CHECK(size_t(n) * size_t(item) == nbytes,
           "tensor '" << name << "': shape " << shape_text(shape) << " of " << dtype << " needs "
                      << n * item << " bytes, given " << nbytes);
  Tensor t{dtype, shape, {}};
  if (nbytes) {
    const auto* p = static_cast<const uint8_t*>(data);
    t.bytes.assign(p, p + nbytes);
  }
  tensors_.emplace(name, std::move(t));
}

namespace {
size_t numel_of(const std::vector<int64_t>& shape) {
  size_t n = 1;
  for (int64_t d : shape) n *= size_t(std::max<int64_t>(d, 0));
  return n;
}
}  // namespace

void SafeTensorsWriter::add_f32(const std::string& name, const std::vector<int64_t>& shape,
                                const float* data) {
  add(name, "F32", shape, data, numel_of(shape) * 4);
}
void SafeTensorsWriter::add_f64(const std::string& name, const std::vector<int64_t>& shape,
                                const double* data) {
  add(name, "F64", shape, data, numel_of(shape) * 8);
}
void SafeTensorsWriter::add_i32(const std::string& name, const std::vector<int64_t>& shape,
                                const int32_t* data) {
  add(name, "I32", shape, data, numel_of(shape) * 4);
}
void SafeTensorsWriter::add_i64(const std::string& name, const std::vector<int64_t>& shape,
                                const int64_t* data) {
  add(name, "I64", shape, data, numel_of(shape) * 8);
}
void SafeTensorsWriter::add_f16(const std::string& name, const std::vector<int64_t>& shape,
                                const float* data) {
  const size_t n = numel_of(shape);
  std::vector<uint16_t> h(n);
  for (size_t i = 0; i < n; ++i) h[i] = float_to_half(data[i]);
  add(name, "F16", shape, h.data(), n * 2);
}

// Header JSON padded with spaces so the data area starts 8-byte aligned (the format asks for it,
// and it lets readers use the mapped bytes as typed arrays directly).
std::string SafeTensorsWriter::header() const {
  json j = json::object();
  if (!metadata_.empty()) j["__metadata__"] = metadata_;
  size_t offset = 0;
  for (const auto& [name, t] : tensors_) {
    const size_t n = t.bytes.size();
    j[name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {offset, offset + n}}};
    offset += n;
  }
  std::string text = j.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  const uint64_t len = text.size();
  return std::string(reinterpret_cast<const char*>(&len), 8) + text;
}

std::string SafeTensorsWriter::serialize() const {
  std::string out = header();
  for (const auto& [name, t] : tensors_) out.append(t.bytes.begin(), t.bytes.end());
  return out;
}

void SafeTensorsWriter::write(const std::string& path) const {
  AtomicFile f(path);
  f.write(header());
  for (const auto& [name, t] : tensors_)
    if (!t.bytes.empty()) f.write(t.bytes.data(), t.bytes.size());
  f.commit();
}

}  // namespace cs::io
