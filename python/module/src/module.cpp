// The Python module circuitscope._circuitscope; the package circuitscope (circuitscope/*.py) is
// its public face.
#include "bindings.h"
#include "core/error.h"
#include "core/gemm.h"

PYBIND11_MODULE(_circuitscope, mod) {
  mod.doc() = "circuitscope's library: run folders, snapshots, forward passes with hooks, factored circuits";
  mod.attr("__version__") = CS_VERSION;
  // Every failure the library reports (missing file, bad field, foreign snapshot) is one line.
  py::register_exception<cs::Error>(mod, "Error", PyExc_RuntimeError);
  mod.def("set_num_threads", &cs::set_num_threads, py::arg("n"),
          "Threads for forward passes (OpenMP and the GEMM libraries).");
  mod.def("num_threads", &cs::num_threads);
  csmod::bind_run(mod);
  csmod::bind_model(mod);
  csmod::bind_cache(mod);
  csmod::bind_factored(mod);
  csmod::bind_analyses(mod);
}
