// The weights of one snapshot and forward passes over them, with or without hooks.
#include <optional>

#include "bindings.h"
#include "core/error.h"
#include "model/forward.h"
#include "model/hook_points.h"
#include "model/hooks.h"

namespace csmod {

namespace {

// A hook gets a copy that Python owns (a hook may keep it); what it leaves there, or the array it
// returns, goes back into the pass. A read-only point's copy is read-only.
void call_hook(const py::object& call, const cs::HookPoint& p, const cs::HookView<float>& v) {
  int64_t n = 1;
  for (int64_t d : v.shape) n *= d;
  std::vector<float> values(static_cast<size_t>(n));
  cs::copy_view(v, values.data());
  py::array given = adopt(std::move(values), to_ssize(v.shape));
  if (!p.replaceable) given.attr("setflags")(py::arg("write") = false);
  py::object out = call(p, given);
  if (!p.replaceable) return;
  auto back = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(out.is_none() ? given : out);
  if (!back || std::vector<int64_t>(back.shape(), back.shape() + back.ndim()) != v.shape)
    throw py::value_error("the hook on " + p.name + " returned an array of another shape than the activation's " +
                          py::str(py::tuple(py::cast(v.shape))).cast<std::string>());
  cs::copy_to_view(back.data(), v);
}

std::shared_ptr<Cache> forward_pass(const std::shared_ptr<Model>& m, const py::object& tokens, const py::object& wants,
                                    const py::object& call) {
  const TokenBatch t = token_batch(tokens, m->cfg());
  auto cache = std::make_shared<Cache>(m, t.batch, t.seq);
  cache->acts.set_tokens(t.ids.data());
  if (call.is_none()) {
    py::gil_scoped_release unlocked;
    cs::forward(m->snap.params, cache->acts);
    return cache;
  }
  // With the interpreter held: the hooks are Python functions.
  cs::ForwardHooks<float> hooks;
  hooks.wants = [&](const cs::HookPoint& p) { return wants.is_none() || py::cast<bool>(wants(p.name)); };
  hooks.call = [&](const cs::HookPoint& p, const cs::HookView<float>& v) { call_hook(call, p, v); };
  cs::Interventions<float> iv;
  iv.hooks = &hooks;
  cs::forward(m->snap.params, cache->acts, &iv);
  return cache;
}

// blocks.{l}.SUFFIX of every layer as one [n_layers, ...] view: the blocks lie at one stride in
// the buffer. A model without layers gives an empty array.
py::array stacked(py::object self, const std::string& suffix) {
  const Model& m = self.cast<const Model&>();
  const cs::ParamLayout& lay = m.snap.params.layout;
  std::vector<const cs::ParamView*> views;
  for (int l = 0; l < m.cfg().n_layers; ++l)
    for (const cs::ParamView& v : lay.views())
      if (v.name == "blocks." + std::to_string(l) + "." + suffix) views.push_back(&v);
  if (views.size() != size_t(m.cfg().n_layers) || views.empty())
    throw py::key_error("the model has no blocks.{layer}." + suffix);
  std::vector<py::ssize_t> shape = to_ssize(views[0]->shape), strides = strides_of(shape);
  const py::ssize_t step = views.size() > 1 ? py::ssize_t(views[1]->offset - views[0]->offset) : 0;
  for (size_t l = 1; l < views.size(); ++l)
    if (views[l]->offset - views[0]->offset != int64_t(l) * step)
      throw cs::Error("blocks.{layer}." + suffix + " do not lie at one stride");
  shape.insert(shape.begin(), py::ssize_t(views.size()));
  strides.insert(strides.begin(), step);
  return view(m.snap.params.ptr(views[0]->offset), shape, strides, self, true);
}

py::dict params(py::object self) {
  const Model& m = self.cast<const Model&>();
  py::dict d;
  for (const cs::ParamView& v : m.snap.params.layout.views()) {
    std::vector<py::ssize_t> shape = to_ssize(v.shape);
    d[py::str(v.name)] = view(m.snap.params.ptr(v.offset), shape, strides_of(shape), self, true);
  }
  return d;
}

}  // namespace

void bind_model(py::module_& m) {
  py::class_<cs::HookPoint>(m, "HookPoint", "A hook point: TransformerLens's name, shape and meaning.")
      .def_readonly("name", &cs::HookPoint::name)
      .def_property_readonly("shape", [](const cs::HookPoint& p) { return py::tuple(py::cast(p.shape)); })
      .def_readonly("replaceable", &cs::HookPoint::replaceable,
                    "False where a hook may only read: what it changes there is not used.")
      .def(
          "layer",
          [](const cs::HookPoint& p) {
            if (p.layer < 0) throw py::value_error(p.name + " is not inside a block");
            return p.layer;
          },
          "The block it sits in.")
      .def("__repr__", [](const cs::HookPoint& p) { return "<HookPoint " + p.name + ">"; });

  py::class_<Model, std::shared_ptr<Model>>(m, "_Model", "The weights of one snapshot (circuitscope.Model wraps it).")
      .def_property_readonly("step", [](const Model& x) { return x.snap.info.step; })
      .def_property_readonly("tokens", [](const Model& x) { return x.snap.info.tokens; })
      .def_property_readonly("run_id", [](const Model& x) { return x.snap.info.run_id; })
      .def_property_readonly("run_name", [](const Model& x) { return x.run_name; })
      .def_property_readonly("config",
                             [](const Model& x) {
                               nlohmann::json j;
                               cs::to_json(j, x.cfg());
                               return to_python(j);
                             })
      .def("hook_points",
           [](const Model& x, int64_t batch, int64_t seq) { return cs::hook_points(x.cfg(), batch, seq); },
           py::arg("batch") = 1, py::arg("seq") = 1)
      .def("params", &params)
      .def("stacked", &stacked, py::arg("suffix"))
      .def("forward", &forward_pass, py::arg("tokens"), py::arg("wants") = py::none(), py::arg("call") = py::none(),
           "A pass over tokens [seq] or [batch, seq]; call(point, array) at each point wants(name) selects.");
}

}  // namespace csmod
