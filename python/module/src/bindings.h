#pragma once
// What the files of the Python module circuitscope._circuitscope share: numpy arrays over the
// library's buffers, token ids from Python, and the objects behind RunDir, Model and the cache.
// Each array that views a C++ buffer holds a reference to the Python object owning it, so the
// buffer outlives every array that looks at it.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/tokenizer.h"
#include "model/activations.h"
#include "run/run_dir.h"
#include "run/snapshot.h"

namespace py = pybind11;

namespace csmod {

py::object to_python(const nlohmann::json& j);

// A numpy array over memory owned by `owner`; strides in elements.
py::array view(const float* data, std::vector<py::ssize_t> shape, std::vector<py::ssize_t> strides,
               py::handle owner, bool writeable);

// A numpy array that takes over a vector instead of copying it.
template <class T>
py::array adopt(std::vector<T>&& v, std::vector<py::ssize_t> shape) {
  auto* owned = new std::vector<T>(std::move(v));
  py::capsule free_when_done(owned, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array_t<T>(std::move(shape), owned->data(), free_when_done);
}

std::vector<py::ssize_t> strides_of(const std::vector<py::ssize_t>& shape);
std::vector<py::ssize_t> to_ssize(const std::vector<int64_t>& v);

// Token ids from an integer array-like, [seq] or [batch, seq] (one sequence is a batch of one),
// each within the vocabulary and no longer than n_ctx.
struct TokenBatch {
  std::vector<int32_t> ids;
  int64_t batch = 1, seq = 0;
};
TokenBatch token_batch(const py::object& tokens, const cs::Config& cfg);

struct Run {
  cs::run::RunDir dir;
  std::shared_ptr<cs::data::Tokenizer> tokenizer;  // loaded on first use
};

struct Model {
  cs::run::Snapshot snap;
  std::string run_name;
  const cs::Config& cfg() const { return snap.params.cfg; }
};

// One forward pass's activations, and the weights of its model (the points the pass does not
// keep are computed from both: model/read_hook.h).
struct Cache {
  std::shared_ptr<const Model> model;
  cs::Activations<float> acts;
  Cache(std::shared_ptr<const Model> m, int64_t batch, int64_t seq)
      : model(std::move(m)), acts(model->cfg(), batch, seq, true) {}
};

void bind_run(py::module_& m);
void bind_model(py::module_& m);
void bind_cache(py::module_& m);
void bind_factored(py::module_& m);
void bind_analyses(py::module_& m);

}  // namespace csmod
