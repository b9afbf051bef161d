// The Python module circuitscope._circuitscope: run folders, snapshots and forward passes with an
// activation cache, as numpy arrays. Weights and cached activations are views of the C++ buffers;
// each view holds a reference to the Python object that owns its buffer, so the buffer outlives
// every array that looks at it.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <circuitscope/circuitscope.h>

namespace py = pybind11;

namespace {

py::object to_python(const nlohmann::json& j) { return py::module_::import("json").attr("loads")(j.dump()); }

// A numpy array over memory owned by `owner`. Strides are in elements.
py::array view(const float* data, std::vector<py::ssize_t> shape, std::vector<py::ssize_t> strides,
               py::handle owner, bool writeable) {
  for (auto& s : strides) s *= py::ssize_t(sizeof(float));
  py::array a(py::dtype::of<float>(), std::move(shape), std::move(strides), data, owner);
  if (!writeable) a.attr("setflags")(py::arg("write") = false);
  return a;
}

// A numpy array that takes over a vector instead of copying it.
template <class T>
py::array adopt(std::vector<T>&& v, std::vector<py::ssize_t> shape) {
  auto* owned = new std::vector<T>(std::move(v));
  py::capsule free_when_done(owned, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array_t<T>(std::move(shape), owned->data(), free_when_done);
}

std::vector<py::ssize_t> strides_of(const std::vector<py::ssize_t>& shape) {
  std::vector<py::ssize_t> s(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;) s[i - 1] = s[i] * shape[i];
  return s;
}

struct Run {
  cs::run::RunDir dir;
  std::shared_ptr<cs::data::Tokenizer> tokenizer;  // loaded on first use
};

struct Model {
  cs::run::Snapshot snap;
  std::string run_name;
  const cs::Config& cfg() const { return snap.params.cfg; }
};

struct Cache {
  std::shared_ptr<const Model> model;  // hook_result needs W_O
  cs::Activations<float> acts;
  bool batched;  // tokens were [batch, seq]; one sequence drops the batch dimension
  Cache(std::shared_ptr<const Model> m, int64_t batch, int64_t seq, bool b)
      : model(std::move(m)), acts(model->cfg(), batch, seq, true), batched(b) {}

  // The hooks in the order a pass computes them, under TransformerLens's names.
  std::vector<std::string> keys() const {
    const cs::Config& c = acts.cfg;
    std::vector<std::string> k = {"hook_embed"};
    for (int l = 0; l < c.n_layers; ++l) {
      const std::string p = "blocks." + std::to_string(l) + ".";
      k.push_back(p + "hook_resid_pre");
      if (c.normalized()) k.push_back(p + "ln1.hook_normalized");
      for (const char* n : {"hook_q", "hook_k", "hook_v", "hook_pattern", "hook_z", "hook_result"})
        k.push_back(p + "attn." + n);
      if (!c.attn_only()) {
        k.push_back(p + "hook_attn_out");
        if (!c.parallel_attn_mlp) k.push_back(p + "hook_resid_mid");
        if (c.normalized()) k.push_back(p + "ln2.hook_normalized");
        for (const char* n : {"mlp.hook_pre", "mlp.hook_post", "hook_mlp_out"}) k.push_back(p + n);
      }
      k.push_back(p + "hook_resid_post");
    }
    if (c.normalized()) k.push_back("ln_final.hook_normalized");
    k.push_back("hook_logits");
    return k;
  }

  // `self` is this cache's Python object, which the views keep alive.
  py::object get(const std::string& name, py::handle self) const {
    const cs::Config& c = acts.cfg;
    const py::ssize_t B = acts.B, T = acts.Tn, D = c.d_model, H = c.n_heads, K = c.d_head, L = c.n_layers;
    auto out = [&](const float* data, std::vector<py::ssize_t> shape, std::vector<py::ssize_t> strides) {
      if (!batched) {
        shape.erase(shape.begin());
        strides.erase(strides.begin());
      }
      return view(data, std::move(shape), std::move(strides), self, false);
    };
    auto dense = [&](const auto& v, std::vector<py::ssize_t> shape) {
      auto s = strides_of(shape);
      return out(v.data(), std::move(shape), std::move(s));
    };
    if (name == "hook_embed") return dense(acts.resid[0], {B, T, D});
    if (name == "hook_logits") return dense(acts.logits, {B, T, c.d_vocab});
    if (name == "ln_final.hook_normalized" && c.normalized()) return dense(acts.normalized[L], {B, T, D});
    for (int l = 0; l < L; ++l) {
      const std::string p = "blocks." + std::to_string(l) + ".";
      if (name.rfind(p, 0) != 0) continue;
      const std::string rest = name.substr(p.size());
      if (rest == "hook_resid_pre") return dense(acts.resid[l], {B, T, D});
      if (rest == "hook_resid_post") return dense(acts.resid[l + 1], {B, T, D});
      if (rest == "ln1.hook_normalized" && c.normalized()) return dense(acts.normalized[l], {B, T, D});
      if (rest == "attn.hook_pattern") return dense(acts.pattern[l], {B, H, T, T});
      if (rest == "attn.hook_z") return dense(acts.z[l], {B, T, H, K});
      if (!c.attn_only()) {
        const py::ssize_t M = c.d_mlp;
        if (rest == "hook_attn_out") return dense(acts.attn_out[l], {B, T, D});
        if (rest == "hook_resid_mid" && !c.parallel_attn_mlp) return dense(acts.resid_mid[l], {B, T, D});
        if (rest == "ln2.hook_normalized" && c.normalized()) return dense(acts.normalized2[l], {B, T, D});
        if (rest == "mlp.hook_pre") return dense(acts.mlp_pre[l], {B, T, M});
        if (rest == "mlp.hook_post") return dense(acts.mlp_post[l], {B, T, M});
        if (rest == "hook_mlp_out") return dense(acts.mlp_out[l], {B, T, D});
      }
      // q, k and v sit side by side in one [B, T, 3, H, K] buffer.
      for (int slot = 0; slot < 3; ++slot)
        if (rest == std::string("attn.hook_") + "qkv"[slot])
          return out(acts.qkv[l].data() + slot * H * K, {B, T, H, K}, {T * 3 * H * K, 3 * H * K, K, 1});
      if (rest == "attn.hook_result") {
        cs::HookTensor<float> r = acts.head_result(model->snap.params, l);
        std::vector<py::ssize_t> shape(r.shape.begin(), r.shape.end());
        if (!batched) shape.erase(shape.begin());
        return adopt(std::move(r.data), std::move(shape));
      }
    }
    throw py::key_error("no cached activation named '" + name + "'");
  }
};

// Token ids from any integer array-like: [seq] or [batch, seq], each within the vocabulary.
std::pair<std::vector<int32_t>, std::vector<int64_t>> token_ids(const py::object& tokens, const cs::Config& cfg) {
  py::array a = py::module_::import("numpy").attr("asarray")(tokens);
  if (a.size() == 0) throw py::value_error("tokens are empty");
  const char kind = a.dtype().kind();
  if (kind != 'i' && kind != 'u')
    throw py::type_error("tokens must be integers, got an array of dtype " + py::str(a.dtype()).cast<std::string>());
  if (a.ndim() != 1 && a.ndim() != 2)
    throw py::value_error("tokens must be [seq] or [batch, seq], got " + std::to_string(a.ndim()) + " dimensions");
  auto ids = py::array_t<int64_t, py::array::c_style | py::array::forcecast>::ensure(a);
  const int64_t batch = a.ndim() == 2 ? a.shape(0) : 1, seq = a.shape(a.ndim() - 1);
  if (seq > cfg.n_ctx)
    throw py::value_error("a sequence of " + std::to_string(seq) + " tokens is longer than the model's n_ctx = " +
                          std::to_string(cfg.n_ctx));
  std::vector<int32_t> out(size_t(batch * seq));
  const int64_t* p = ids.data();
  for (size_t i = 0; i < out.size(); ++i) {
    if (p[i] < 0 || p[i] >= cfg.d_vocab)
      throw py::value_error("token id " + std::to_string(p[i]) + " at index " + std::to_string(i) +
                            " is outside the vocabulary [0, " + std::to_string(cfg.d_vocab) + ")");
    out[i] = int32_t(p[i]);
  }
  std::vector<int64_t> shape = {batch, seq};
  if (a.ndim() == 1) shape.erase(shape.begin());
  return {std::move(out), std::move(shape)};
}

std::shared_ptr<Cache> run_model(const std::shared_ptr<const Model>& m, const py::object& tokens) {
  auto [ids, shape] = token_ids(tokens, m->cfg());
  const bool batched = shape.size() == 2;
  const int64_t batch = batched ? shape[0] : 1, seq = shape.back();
  auto cache = std::make_shared<Cache>(m, batch, seq, batched);
  cache->acts.set_tokens(ids.data());
  py::gil_scoped_release unlocked;
  cs::forward(m->snap.params, cache->acts);
  return cache;
}

}  // namespace

PYBIND11_MODULE(_circuitscope, mod) {
  mod.doc() = "circuitscope: run folders, snapshots and activation caches of attention-only transformers";
  mod.attr("__version__") = CS_VERSION;
  // Every failure the library reports (missing file, bad field, foreign snapshot) is one line.
  py::register_exception<cs::Error>(mod, "Error", PyExc_RuntimeError);

  mod.def("set_num_threads", &cs::set_num_threads, py::arg("n"),
          "Threads for forward passes (OpenMP and the GEMM libraries).");
  mod.def("num_threads", &cs::num_threads);

  py::class_<cs::data::Tokenizer, std::shared_ptr<cs::data::Tokenizer>>(mod, "Tokenizer")
      .def_property_readonly("kind", &cs::data::Tokenizer::kind)
      .def_property_readonly("d_vocab", &cs::data::Tokenizer::d_vocab)
      .def_property_readonly("bos_id", &cs::data::Tokenizer::bos_id)
      .def(
          "encode",
          [](const cs::data::Tokenizer& t, const std::string& text, bool prepend_bos) {
            std::vector<int32_t> ids;
            if (prepend_bos) ids.push_back(t.bos_id());
            const std::vector<int32_t> e = t.encode(text);
            ids.insert(ids.end(), e.begin(), e.end());
            const py::ssize_t n = py::ssize_t(ids.size());
            return adopt(std::move(ids), {n});
          },
          py::arg("text"), py::arg("prepend_bos") = false,
          "Token ids (int32). Training documents start with BOS; prepend_bos=True does the same.")
      .def(
          "decode",
          [](const cs::data::Tokenizer& t, const py::object& ids) {
            std::vector<int32_t> v;
            for (const py::handle& i : py::iter(py::module_::import("numpy").attr("ravel")(ids)))
              v.push_back(py::cast<int32_t>(i));
            return py::bytes(t.decode(v)).attr("decode")("utf-8", "replace");
          },
          py::arg("ids"))
      .def("piece", &cs::data::Tokenizer::piece, py::arg("id"), "The token's text, for display.");

  py::class_<Model, std::shared_ptr<Model>>(mod, "Model", "The weights of one snapshot.")
      .def_property_readonly("step", [](const Model& m) { return m.snap.info.step; })
      .def_property_readonly("tokens", [](const Model& m) { return m.snap.info.tokens; },
                             "Training tokens seen when the snapshot was taken.")
      .def_property_readonly("run_id", [](const Model& m) { return m.snap.info.run_id; })
      .def_property_readonly("cfg",
                             [](const Model& m) {
                               nlohmann::json j;
                               cs::to_json(j, m.cfg());
                               return to_python(j);
                             },
                             "The model's TransformerLens config fields.")
      .def_property_readonly(
          "params",
          [](py::object self) {
            const Model& m = self.cast<const Model&>();
            py::dict d;
            for (const cs::ParamView& v : m.snap.params.layout.views()) {
              std::vector<py::ssize_t> shape(v.shape.begin(), v.shape.end());
              auto s = strides_of(shape);
              d[py::str(v.name)] = view(m.snap.params.ptr(v.offset), std::move(shape), std::move(s), self, true);
            }
            return d;
          },
          "name -> writable numpy view of the weights (TransformerLens state-dict names and shapes); "
          "later passes use what is written.")
      .def(
          "run_with_cache",
          [](const std::shared_ptr<Model>& m, const py::object& tokens) {
            std::shared_ptr<Cache> cache = run_model(m, tokens);
            py::object c = py::cast(cache);
            return py::make_tuple(cache->get("hook_logits", c), c);
          },
          py::arg("tokens"),
          "tokens [seq] or [batch, seq] -> (logits, cache); one sequence drops the batch dimension.")
      .def(
          "run",
          [](const std::shared_ptr<Model>& m, const py::object& tokens) {
            std::shared_ptr<Cache> cache = run_model(m, tokens);
            std::vector<py::ssize_t> shape = {cache->acts.B, cache->acts.Tn, m->cfg().d_vocab};
            if (!cache->batched) shape.erase(shape.begin());
            return adopt(std::move(cache->acts.logits), std::move(shape));
          },
          py::arg("tokens"), "tokens [seq] or [batch, seq] -> logits")
      .def("__repr__", [](const Model& m) {
        return "<circuitscope.Model " + m.run_name + " step " + std::to_string(m.snap.info.step) + ">";
      });

  py::class_<Cache, std::shared_ptr<Cache>>(mod, "ActivationCache",
                                            "Activations of one forward pass under TransformerLens hook names.")
      .def("keys", &Cache::keys)
      .def("__getitem__", [](py::object self, const std::string& name) { return self.cast<const Cache&>().get(name, self); })
      .def("__contains__",
           [](const Cache& c, const std::string& name) {
             const auto k = c.keys();
             return std::find(k.begin(), k.end(), name) != k.end();
           })
      .def("__len__", [](const Cache& c) { return c.keys().size(); })
      .def("__iter__", [](const Cache& c) { return py::iter(py::cast(c.keys())); })
      .def_property_readonly("tokens",
                             [](const Cache& c) {
                               std::vector<int32_t> t = c.acts.tokens;
                               std::vector<py::ssize_t> shape = {c.acts.B, c.acts.Tn};
                               if (!c.batched) shape.erase(shape.begin());
                               return adopt(std::move(t), std::move(shape));
                             })
      .def("__repr__", [](const Cache& c) {
        return "<circuitscope.ActivationCache " + std::to_string(c.keys().size()) + " hooks, " +
               std::to_string(c.acts.B) + " x " + std::to_string(c.acts.Tn) + " tokens>";
      });

  mod.def(
      "heads",
      [](const Model& m, const Run& r) {
        py::gil_scoped_release unlocked;
        const cs::analysis::HeadsReport h = cs::analysis::heads(m.snap, r.dir, cs::analysis::ModelCircuits(m.snap.params));
        py::gil_scoped_acquire locked;
        return to_python(h.to_json());
      },
      py::arg("model"), py::arg("run"),
      "Head evaluators, OV/QK eigenvalue copying scores and kinds of every head (the fields of "
      "analysis/heads.json).");
  mod.def(
      "circuits",
      [](const Model& m, const Run& r) {
        py::gil_scoped_release unlocked;
        const cs::analysis::ModelCircuits circuits(m.snap.params);
        std::unique_ptr<cs::data::Tokenizer> tok = r.dir.tokenizer();
        const cs::analysis::CircuitSources sources = cs::analysis::circuit_sources(r.dir, tok.get(), {}, 200);
        const cs::analysis::CircuitsAnalysis a =
            cs::analysis::analyze_circuits(circuits, sources.ids, sources.note, {}, std::nullopt);
        py::gil_scoped_acquire locked;
        py::dict d;
        d["circuits"] = to_python(cs::analysis::circuits_json(a, tok.get()));
        d["composition"] = to_python(cs::analysis::composition_json(a));
        return d;
      },
      py::arg("model"), py::arg("run"),
      "Weight-only circuits: OV/QK eigenvalues, skip-trigrams, direct-path bigrams and composition "
      "(the fields of analysis/circuits.json and composition.json).");
  mod.def(
      "ablate",
      [](const Model& m, const Run& r, const std::vector<std::pair<int, int>>& heads, const std::string& kind) {
        if (kind != "pattern-preserving" && kind != "full")
          throw py::value_error("kind must be 'pattern-preserving' or 'full', got '" + kind + "'");
        py::gil_scoped_release unlocked;
        const cs::analysis::JointAblation a = cs::analysis::ablate_heads(
            m.snap.params, r.dir, heads,
            kind == "full" ? cs::analysis::AblationKind::full : cs::analysis::AblationKind::pattern_preserving);
        py::gil_scoped_acquire locked;
        return to_python(a.to_json());
      },
      py::arg("model"), py::arg("run"), py::arg("heads"), py::arg("kind") = "pattern-preserving",
      "The ICL score with these (layer, head) results zeroed together, against the clean model, on the "
      "run's evaluation sequences.");

  py::class_<Run, std::shared_ptr<Run>>(mod, "RunDir", "A run folder.")
      .def(py::init([](const std::string& root) {
             auto r = std::make_shared<Run>(Run{cs::run::RunDir(root), nullptr});
             r->dir.config();  // a folder without a run fails here, with the library's message
             return r;
           }),
           py::arg("root"))
      .def_property_readonly("root", [](const Run& r) { return r.dir.root(); })
      .def_property_readonly("name", [](const Run& r) { return r.dir.name(); })
      .def_property_readonly("config", [](const Run& r) { return to_python(cs::run::to_json(r.dir.config())); },
                             "config.json: model, training and data settings.")
      .def_property_readonly("snapshot_steps", [](const Run& r) { return r.dir.snapshot_steps(); })
      .def_property_readonly("tokenizer",
                             [](Run& r) {
                               if (!r.tokenizer) r.tokenizer = r.dir.tokenizer();
                               return r.tokenizer;
                             })
      .def(
          "eval_tokens",
          [](const Run& r) {
            cs::run::EvalTokens e = r.dir.eval_tokens();
            return adopt(std::move(e.tokens), {e.n, e.width});
          },
          "[n_eval, n_ctx + 1] int32: the held-out evaluation sequences.")
      .def(
          "eval_set",
          [](const Run& r, const std::string& windows, std::optional<int> n, std::optional<uint64_t> seed) {
            const cs::run::RunConfig rc = r.dir.config();
            std::optional<cs::data::EvalSet> e;
            {
              py::gil_scoped_release unlocked;
              e.emplace(cs::data::build_eval_set(r.dir.tokens(), rc.model.n_ctx, n.value_or(rc.train.n_eval),
                                                 seed.value_or(rc.train.seed + 1),
                                                 cs::data::parse_eval_windows(windows)));
            }
            py::dict d;
            const py::ssize_t rows = e->n_used();
            d["tokens"] = adopt(std::move(e->tokens), {rows, py::ssize_t(rc.model.n_ctx) + 1});
            d["documents"] = adopt(std::move(e->documents), {rows});
            d["offsets"] = adopt(std::move(e->offsets), {rows});
            d["n_candidates"] = e->n_candidates;
            d["n_held_out"] = e->n_held_out;
            return d;
          },
          py::arg("windows") = "random", py::arg("n") = py::none(), py::arg("seed") = py::none(),
          "A fresh evaluation set from the run's held-out documents, as training builds it (docs/icl.md): "
          "windows 'random' (seeded offsets inside each document) or 'start' (document starts); n and "
          "seed default to the run's. Returns tokens [rows, n_ctx + 1], documents, offsets and the counts.")
      .def(
          "snapshot",
          [](const Run& r, const py::object& which) {
            const std::string w = py::isinstance<py::int_>(which) ? std::to_string(which.cast<int64_t>())
                                                                 : which.cast<std::string>();
            std::optional<cs::run::Snapshot> snap;
            {
              py::gil_scoped_release unlocked;
              snap.emplace(r.dir.snapshot(w));
            }
            return std::make_shared<Model>(Model{std::move(*snap), r.dir.name()});
          },
          py::arg("which") = "last", "'last' or a step number.")
      .def(
          "icl",
          [](const Run& r) {
            cs::analysis::IclOptions o;
            o.search_from_step = -1;  // the run's warm-up, as `circuitscope icl` does
            std::optional<cs::analysis::IclResult> icl;
            {
              py::gil_scoped_release unlocked;
              icl.emplace(cs::analysis::run_icl(r.dir, o));
            }
            return to_python(icl->to_json());
          },
          "The ICL score over training, its derivatives and the phase change (docs/icl.md), as a dict "
          "with the fields of analysis/icl.json.")
      .def("__repr__", [](const Run& r) { return "<circuitscope.RunDir '" + r.dir.root() + "'>"; });
}
