// One forward pass's activations under TransformerLens's hook names (circuitscope.ActivationCache
// wraps it). Points the pass keeps are read-only views of its buffers; the others are computed
// from them when asked (model/read_hook.h).
#include <cmath>

#include "bindings.h"
#include "model/hook_points.h"
#include "model/read_hook.h"

namespace csmod {

namespace {

py::object activation(py::object self, const std::string& name) {
  const Cache& c = self.cast<const Cache&>();
  const std::vector<cs::HookPoint> points = cs::hook_points(c.acts.cfg, c.acts.B, c.acts.Tn);
  const cs::HookPoint* p = cs::find_hook_point(points, name);
  if (!p) throw py::key_error("no hook point named '" + name + "' in this model");
  if (p->kept) {
    const cs::HookView<float> v = c.acts.view(*p);
    return view(v.data, to_ssize(v.shape), to_ssize(v.strides), self, false);
  }
  cs::HookTensor<float> t;
  {
    py::gil_scoped_release unlocked;
    t = cs::read_hook(c.model->snap.params, c.acts, name);
  }
  return adopt(std::move(t.data), to_ssize(t.shape));
}

// -log p(token[t + 1]) of every position but the last, [batch, seq - 1], from the kept logits
// (double sums: a 50k-token softmax in float loses digits).
py::array next_token_loss(const Cache& c) {
  const int64_t B = c.acts.B, T = c.acts.Tn, V = c.acts.cfg.d_vocab;
  if (T < 2) throw py::value_error("a loss needs sequences of at least 2 tokens");
  std::vector<double> loss(size_t(B * (T - 1)));
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t + 1 < T; ++t) {
      const float* row = c.acts.logits.data() + (b * T + t) * V;
      double top = row[0], sum = 0;
      for (int64_t v = 1; v < V; ++v) top = std::max(top, double(row[v]));
      for (int64_t v = 0; v < V; ++v) sum += std::exp(double(row[v]) - top);
      loss[size_t(b * (T - 1) + t)] = top + std::log(sum) - double(row[c.acts.tokens[size_t(b * T + t + 1)]]);
    }
  return adopt(std::move(loss), {py::ssize_t(B), py::ssize_t(T - 1)});
}

}  // namespace

void bind_cache(py::module_& m) {
  py::class_<Cache, std::shared_ptr<Cache>>(m, "_Cache")
      .def("names",
           [](const Cache& c) {
             std::vector<std::string> names;
             for (const cs::HookPoint& p : cs::hook_points(c.acts.cfg, c.acts.B, c.acts.Tn)) names.push_back(p.name);
             return names;
           })
      .def("get", &activation, py::arg("name"))
      .def_property_readonly("tokens",
                             [](const Cache& c) {
                               std::vector<int32_t> t = c.acts.tokens;
                               return adopt(std::move(t), {py::ssize_t(c.acts.B), py::ssize_t(c.acts.Tn)});
                             })
      .def("logits",
           [](py::object self) {
             const Cache& c = self.cast<const Cache&>();
             return view(c.acts.logits.data(), {c.acts.B, c.acts.Tn, c.acts.cfg.d_vocab},
                         strides_of({c.acts.B, c.acts.Tn, c.acts.cfg.d_vocab}), self, false);
           })
      .def("loss_per_token", &next_token_loss);
}

}  // namespace csmod
