#include <memory>
#include <optional>

#include "analysis/ablation_report.h"
#include "analysis/circuits_report.h"
#include "analysis/heads_report.h"
#include "bindings.h"
#include "pipeline/analyses.h"

namespace csmod {

// The analyses of one snapshot through the pipeline's entries, the ones the command line, the
// report and the viewer call, so Python gives their numbers; as dicts of the saved JSON's fields
// (circuitscope/results.py gives them attributes).
void bind_analyses(py::module_& m) {
  m.def(
      "_heads",
      [](const Model& model, const Run& r) {
        std::optional<cs::analysis::HeadsReport> h;
        {
          py::gil_scoped_release unlocked;
          h.emplace(cs::pipeline::heads(r.dir, model.snap));
        }
        return to_python(h->to_json());
      },
      py::arg("model"), py::arg("run"),
      "Head evaluators, OV/QK eigenvalue copying scores and kinds of every head (the fields of "
      "analysis/heads.json).");
  m.def(
      "_circuits",
      [](const Model& model, const Run& r) {
        std::optional<cs::pipeline::CircuitsRun> c;
        {
          py::gil_scoped_release unlocked;
          c.emplace(cs::pipeline::circuits(r.dir, model.snap));
        }
        py::dict d;
        d["circuits"] = to_python(cs::analysis::circuits_json(c->analysis, c->tokenizer.get()));
        d["composition"] = to_python(cs::analysis::composition_json(c->analysis));
        return d;
      },
      py::arg("model"), py::arg("run"),
      "Circuits: OV/QK eigenvalues, skip-trigrams, direct-path bigrams and composition, with measured "
      "previous-token scores where the run has its evaluation text (the fields of analysis/circuits.json "
      "and composition.json).");
  m.def(
      "_ablate",
      [](const Model& model, const Run& r, const std::vector<std::pair<int, int>>& heads, const std::string& kind) {
        if (kind != "pattern-preserving" && kind != "full")
          throw py::value_error("kind must be 'pattern-preserving' or 'full', got '" + kind + "'");
        std::optional<cs::analysis::JointAblation> a;
        {
          py::gil_scoped_release unlocked;
          a.emplace(cs::pipeline::ablate_heads(
              r.dir, model.snap, heads,
              kind == "full" ? cs::analysis::AblationKind::full : cs::analysis::AblationKind::pattern_preserving));
        }
        return to_python(a->to_json());
      },
      py::arg("model"), py::arg("run"), py::arg("heads"), py::arg("kind") = "pattern-preserving",
      "The ICL score with these (layer, head) results zeroed together, against the clean model, on the "
      "run's evaluation sequences.");
}

}  // namespace csmod
