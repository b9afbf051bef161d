#pragma once
// A bias added to every row of a matrix, and its gradient (the column sums of the output's
// gradient). Shared by the attention (b_Q, b_K, b_V, b_O), the MLP (b_in, b_out) and the
// unembedding (b_U).
#include <cstdint>

namespace cs {

// y[r, 0:N] += b for every row r; rows are ld apart.
template <class T>
void bias_forward(T* y, const T* b, int64_t rows, int64_t N, int64_t ld);

// db += sum over rows of dy[r, 0:N]. Each column is summed in row order whatever the thread count,
// so training stays bit-reproducible.
template <class T>
void bias_backward(const T* dy, T* db, int64_t rows, int64_t N, int64_t ld);

}  // namespace cs
