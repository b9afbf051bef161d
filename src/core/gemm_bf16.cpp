// float GEMM with bfloat16 inputs and float accumulation, through oneDNN's matmul primitive (its
// plain GEMM interface has no bf16 entry in the version Debian ships). Inputs are rounded to
// bf16 (nearest, ties to even) into per-thread buffers; the result is float, with alpha and beta
// applied by the primitive. Primitives are kept per shape: the training steps repeat a handful.
#include <dnnl.hpp>

#include <cstring>
#include <map>
#include <tuple>
#include <vector>

#include "core/error.h"
#include "core/gemm.h"

namespace cs {

namespace {

uint16_t to_bf16(float x) {
  uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  if ((u & 0x7f800000u) == 0x7f800000u && (u & 0x007fffffu)) return uint16_t((u >> 16) | 0x40u);  // NaN stays NaN
  return uint16_t((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

// rows x cols of src (rows ld apart) into a packed bf16 buffer.
void round_rows(const float* src, int64_t rows, int64_t cols, int64_t ld, std::vector<uint16_t>& dst) {
  if (int64_t(dst.size()) < rows * cols) dst.resize(size_t(rows * cols));
  uint16_t* d = dst.data();
#pragma omp parallel for schedule(static) if (rows * cols > (1 << 16))
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) d[r * cols + c] = to_bf16(src[r * ld + c]);
}

using Key = std::tuple<bool, bool, int64_t, int64_t, int64_t, int64_t, float, float>;

struct Kernel {
  dnnl::matmul prim;
  dnnl::memory::desc a, b, c;
};

dnnl::engine& engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

const Kernel& kernel(bool ta, bool tb, int64_t M, int64_t N, int64_t K, int64_t ldc, float alpha,
                     float beta) {
  thread_local std::map<Key, Kernel> cache;
  const Key key{ta, tb, M, N, K, ldc, alpha, beta};
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  using md = dnnl::memory::desc;
  using dt = dnnl::memory::data_type;
  // The packed inputs keep their stored orientation; a transpose is a stride swap.
  const md a({M, K}, dt::bf16, ta ? dnnl::memory::dims{1, M} : dnnl::memory::dims{K, 1});
  const md b({K, N}, dt::bf16, tb ? dnnl::memory::dims{1, K} : dnnl::memory::dims{N, 1});
  const md c({M, N}, dt::f32, dnnl::memory::dims{ldc, 1});
  dnnl::primitive_attr attr;
  if (alpha != 1.f) attr.set_output_scales(0, {alpha});
  if (beta != 0.f) {
    dnnl::post_ops ops;
    ops.append_sum(beta);
    attr.set_post_ops(ops);
  }
  const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a, b, c), attr, engine());
  return cache.emplace(key, Kernel{dnnl::matmul(pd), a, b, c}).first->second;
}

}  // namespace

void gemm_bf16(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
               int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (M == 0 || N == 0) return;
  thread_local std::vector<uint16_t> a16, b16;
  round_rows(A, trans_a ? K : M, trans_a ? M : K, lda, a16);
  round_rows(B, trans_b ? N : K, trans_b ? K : N, ldb, b16);
  try {
    const Kernel& k = kernel(trans_a, trans_b, M, N, K, ldc, alpha, beta);
    dnnl::stream s(engine());
    dnnl::memory a(k.a, engine(), a16.data()), b(k.b, engine(), b16.data()), c(k.c, engine(), C);
    k.prim.execute(s, {{DNNL_ARG_SRC, a}, {DNNL_ARG_WEIGHTS, b}, {DNNL_ARG_DST, c}});
    s.wait();
  } catch (const dnnl::error& e) {
    fail(std::string("oneDNN bf16 matmul failed for M=") + std::to_string(M) + " N=" + std::to_string(N) +
         " K=" + std::to_string(K) + ": " + e.what());
  }
}

}  // namespace cs
