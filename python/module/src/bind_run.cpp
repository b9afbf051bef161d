#include <optional>

#include "analysis/run_inputs.h"
#include "bindings.h"
#include "data/eval_set.h"
#include "run/run_config.h"

namespace csmod {

namespace {

void bind_tokenizer(py::module_& m) {
  py::class_<cs::data::Tokenizer, std::shared_ptr<cs::data::Tokenizer>>(m, "Tokenizer")
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
}

// A fresh evaluation set from the run's held-out documents, as training builds it.
py::dict eval_set(const Run& r, const std::string& windows, std::optional<int> n, std::optional<uint64_t> seed) {
  const cs::run::RunConfig rc = r.dir.config();
  std::optional<cs::data::EvalSet> e;
  {
    py::gil_scoped_release unlocked;
    e.emplace(cs::data::build_eval_set(r.dir.tokens(), rc.model.n_ctx, n.value_or(rc.train.n_eval),
                                       seed.value_or(rc.train.seed + 1), cs::data::parse_eval_windows(windows)));
  }
  py::dict d;
  const py::ssize_t rows = e->n_used();
  d["tokens"] = adopt(std::move(e->tokens), {rows, py::ssize_t(rc.model.n_ctx) + 1});
  d["documents"] = adopt(std::move(e->documents), {rows});
  d["offsets"] = adopt(std::move(e->offsets), {rows});
  d["n_candidates"] = e->n_candidates;
  d["n_held_out"] = e->n_held_out;
  return d;
}

}  // namespace

void bind_run(py::module_& m) {
  bind_tokenizer(m);
  py::class_<Run, std::shared_ptr<Run>>(m, "_RunDir", "A run folder (circuitscope.RunDir wraps it).")
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
          &eval_set,
          py::arg("windows") = "random", py::arg("n") = py::none(), py::arg("seed") = py::none(),
          "A fresh evaluation set from the run's held-out documents, as training builds it (docs/icl.md): "
          "windows 'random' (seeded offsets inside each document) or 'start' (document starts); n and "
          "seed default to the run's. Returns tokens [rows, n_ctx + 1], documents, offsets and the counts.")
      .def(
          "_snapshot",
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
            std::optional<cs::analysis::IclResult> icl;
            {
              py::gil_scoped_release unlocked;
              icl.emplace(cs::analysis::run_icl(r.dir));  // with the run's ICL settings, as `icl` records them
            }
            return to_python(icl->to_json());
          },
          "The ICL score over training, its derivatives and the phase change (docs/icl.md), as a dict "
          "with the fields of analysis/icl.json.")
      .def("__repr__", [](const Run& r) { return "<circuitscope.RunDir '" + r.dir.root() + "'>"; });
}

}  // namespace csmod
