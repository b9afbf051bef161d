// The C++ FactoredMatrix (analysis/factored.h) for circuitscope.FactoredMatrix, one matrix A B at
// a time: circuitscope/factored.py loops over the leading (layer, head) axes.
#include <complex>

#include <pybind11/complex.h>

#include "analysis/factored.h"
#include "bindings.h"

namespace csmod {

namespace {

using Matrix = py::array_t<double, py::array::c_style | py::array::forcecast>;

cs::analysis::Mat to_mat(const Matrix& a) {
  if (a.ndim() != 2) throw py::value_error("a factor must be a matrix, got " + std::to_string(a.ndim()) + " axes");
  cs::analysis::Mat out(a.shape(0), a.shape(1));
  for (py::ssize_t i = 0; i < a.shape(0); ++i)
    for (py::ssize_t j = 0; j < a.shape(1); ++j) out(i, j) = a.at(i, j);
  return out;
}

py::array from_mat(const cs::analysis::Mat& m) {
  std::vector<double> v(size_t(m.rows() * m.cols()));
  for (Eigen::Index i = 0; i < m.rows(); ++i)
    for (Eigen::Index j = 0; j < m.cols(); ++j) v[size_t(i * m.cols() + j)] = m(i, j);
  return adopt(std::move(v), {py::ssize_t(m.rows()), py::ssize_t(m.cols())});
}

py::array from_vec(const cs::analysis::Vec& x) {
  return adopt(std::vector<double>(x.data(), x.data() + x.size()), {py::ssize_t(x.size())});
}

cs::analysis::FactoredMatrix factored(const Matrix& A, const Matrix& B) { return {to_mat(A), to_mat(B)}; }

}  // namespace

void bind_factored(py::module_& m) {
  m.def(
      "_factored_eigenvalues",
      [](const Matrix& A, const Matrix& B) {
        const auto e = factored(A, B).eigenvalues();
        return adopt(std::vector<std::complex<double>>(e.begin(), e.end()), {py::ssize_t(e.size())});
      },
      "Eigenvalues of B A (those of A B but its zeros), largest |lambda| first.");
  m.def("_factored_svd", [](const Matrix& A, const Matrix& B) {
    const cs::analysis::FactoredSvd s = factored(A, B).svd();
    return py::make_tuple(from_mat(s.U), from_vec(s.S), from_mat(s.V));
  });
  m.def("_factored_norm", [](const Matrix& A, const Matrix& B) { return factored(A, B).frobenius_norm(); });
}

}  // namespace csmod
