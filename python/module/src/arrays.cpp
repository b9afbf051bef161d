#include "bindings.h"
#include "model/hooks.h"

namespace csmod {

py::object to_python(const nlohmann::json& j) { return py::module_::import("json").attr("loads")(j.dump()); }

py::array view(const float* data, std::vector<py::ssize_t> shape, std::vector<py::ssize_t> strides,
               py::handle owner, bool writeable) {
  for (auto& s : strides) s *= py::ssize_t(sizeof(float));
  py::array a(py::dtype::of<float>(), std::move(shape), std::move(strides), data, owner);
  if (!writeable) a.attr("setflags")(py::arg("write") = false);
  return a;
}

std::vector<py::ssize_t> strides_of(const std::vector<py::ssize_t>& shape) {
  return to_ssize(cs::dense_strides(std::vector<int64_t>(shape.begin(), shape.end())));
}

std::vector<py::ssize_t> to_ssize(const std::vector<int64_t>& v) { return {v.begin(), v.end()}; }

TokenBatch token_batch(const py::object& tokens, const cs::Config& cfg) {
  py::array a = py::module_::import("numpy").attr("asarray")(tokens);
  if (a.size() == 0) throw py::value_error("tokens are empty");
  const char kind = a.dtype().kind();
  if (kind != 'i' && kind != 'u')
    throw py::type_error("tokens must be integers, got an array of dtype " + py::str(a.dtype()).cast<std::string>());
  if (a.ndim() != 1 && a.ndim() != 2)
    throw py::value_error("tokens must be [seq] or [batch, seq], got " + std::to_string(a.ndim()) + " dimensions");
  auto ids = py::array_t<int64_t, py::array::c_style | py::array::forcecast>::ensure(a);
  TokenBatch out;
  out.batch = a.ndim() == 2 ? a.shape(0) : 1;
  out.seq = a.shape(a.ndim() - 1);
  if (out.seq > cfg.n_ctx)
    throw py::value_error("a sequence of " + std::to_string(out.seq) + " tokens is longer than the model's n_ctx = " +
                          std::to_string(cfg.n_ctx));
  out.ids.resize(size_t(out.batch * out.seq));
  const int64_t* p = ids.data();
  for (size_t i = 0; i < out.ids.size(); ++i) {
    if (p[i] < 0 || p[i] >= cfg.d_vocab)
      throw py::value_error("token id " + std::to_string(p[i]) + " at index " + std::to_string(i) +
                            " is outside the vocabulary [0, " + std::to_string(cfg.d_vocab) + ")");
    out.ids[i] = int32_t(p[i]);
  }
  return out;
}

}  // namespace csmod
