#include <memory>
#include <optional>

#include "analysis/ablation_report.h"
#include "analysis/circuit_sources.h"
#include "analysis/circuits_report.h"
#include "analysis/heads_report.h"
#include "analysis/model_circuits.h"
#include "bindings.h"

namespace csmod {

// The analyses of one snapshot, as dicts of their saved JSON fields; circuitscope/results.py
// gives them attributes.
void bind_analyses(py::module_& m) {
  m.def(
      "_heads",
      [](const Model& model, const Run& r) {
        py::gil_scoped_release unlocked;
        const cs::analysis::HeadsReport h = cs::analysis::heads(model.snap, r.dir, cs::analysis::ModelCircuits(model.snap.params));
        py::gil_scoped_acquire locked;
        return to_python(h.to_json());
      },
      py::arg("model"), py::arg("run"),
      "Head evaluators, OV/QK eigenvalue copying scores and kinds of every head (the fields of "
      "analysis/heads.json).");
  m.def(
      "_circuits",
      [](const Model& model, const Run& r) {
        py::gil_scoped_release unlocked;
        const cs::analysis::ModelCircuits circuits(model.snap.params);
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
  m.def(
      "_ablate",
      [](const Model& model, const Run& r, const std::vector<std::pair<int, int>>& heads, const std::string& kind) {
        if (kind != "pattern-preserving" && kind != "full")
          throw py::value_error("kind must be 'pattern-preserving' or 'full', got '" + kind + "'");
        py::gil_scoped_release unlocked;
        const cs::analysis::JointAblation a = cs::analysis::ablate_heads(
            model.snap.params, r.dir, heads,
            kind == "full" ? cs::analysis::AblationKind::full : cs::analysis::AblationKind::pattern_preserving);
        py::gil_scoped_acquire locked;
        return to_python(a.to_json());
      },
      py::arg("model"), py::arg("run"), py::arg("heads"), py::arg("kind") = "pattern-preserving",
      "The ICL score with these (layer, head) results zeroed together, against the clean model, on the "
      "run's evaluation sequences.");
}

}  // namespace csmod
