#include "analysis/skip_trigrams.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <set>
#include <type_traits>

#include "analysis/circuits.h"
#include "core/error.h"
#include "core/gemm.h"

namespace cs::analysis {

namespace {

// Higher value first; equal values: lower index first, so merging per-thread results gives the
// same answer whatever the split.
bool better(const Entry& a, const Entry& b) {
  return a.value != b.value ? a.value > b.value : a.index < b.index;
}

// The k best entries seen so far, as a heap with the worst on top, and the running sums that give
// the row's mean and spread over the vocabulary.
struct TopK {
  std::vector<Entry> heap;
  double threshold = -INFINITY;  // below this nothing can enter once full
  double sum = 0, sum_sq = 0;

  void push(const Entry& e, size_t k) {
    if (heap.size() < k) {
      heap.push_back(e);
      std::push_heap(heap.begin(), heap.end(), better);
    } else if (better(e, heap.front())) {
      std::pop_heap(heap.begin(), heap.end(), better);
      heap.back() = e;
      std::push_heap(heap.begin(), heap.end(), better);
    } else {
      return;
    }
    if (heap.size() == k) threshold = heap.front().value;
  }
  void merge(const TopK& o, size_t k) {
    for (const Entry& e : o.heap) push(e, k);
    sum += o.sum;
    sum_sq += o.sum_sq;
  }
  std::vector<Entry> sorted() const {
    std::vector<Entry> out = heap;
    std::sort(out.begin(), out.end(), better);
    return out;
  }
  Moments moments(int64_t n) const {
    const double mean = sum / double(n);
    return {mean, std::sqrt(std::max(0.0, sum_sq / double(n) - mean * mean))};
  }
};

// One block of a row: its sums (vectorised; a block is short enough for T's precision) and the
// few entries that beat the current k-th best. Most stretches of 64 hold none, which their
// vectorised max tells first.
template <class T>
void scan_row(const T* row, int64_t n, int64_t offset, TopK& top, size_t k) {
  T sum = 0, sum_sq = 0;
#pragma omp simd reduction(+ : sum, sum_sq)
  for (int64_t i = 0; i < n; ++i) {
    sum += row[i];
    sum_sq += row[i] * row[i];
  }
  top.sum += double(sum);
  top.sum_sq += double(sum_sq);
  constexpr int64_t kStretch = 64;
  for (int64_t b = 0; b < n; b += kStretch) {
    const int64_t e = std::min(n, b + kStretch);
    T mx = -std::numeric_limits<T>::infinity();
#pragma omp simd reduction(max : mx)
    for (int64_t i = b; i < e; ++i) mx = std::max(mx, row[i]);
    if (double(mx) < top.threshold) continue;
    for (int64_t i = b; i < e; ++i)
      // Entries equal to the threshold can still win on a lower index, hence >=.
      if (double(row[i]) >= top.threshold) top.push({offset + i, double(row[i])}, k);
  }
}

// [H, D, dh] per-head weights -> [D, H * dh], all heads side by side.
template <class T>
std::vector<T> heads_side_by_side(const T* W, int64_t H, int64_t D, int64_t K) {
  std::vector<T> out(size_t(D * H * K));
  for (int64_t h = 0; h < H; ++h)
    for (int64_t d = 0; d < D; ++d)
      for (int64_t k = 0; k < K; ++k) out[size_t(d * H * K + h * K + k)] = W[(h * D + d) * K + k];
  return out;
}

}  // namespace

std::vector<int64_t> most_frequent_tokens(const std::vector<int64_t>& counts, int64_t n,
                                          int64_t exclude) {
  std::vector<int64_t> ids;
  for (int64_t i = 0; i < int64_t(counts.size()); ++i)
    if (counts[size_t(i)] > 0 && i != exclude) ids.push_back(i);
  n = std::min<int64_t>(n, int64_t(ids.size()));
  std::partial_sort(ids.begin(), ids.begin() + n, ids.end(), [&](int64_t a, int64_t b) {
    return counts[size_t(a)] != counts[size_t(b)] ? counts[size_t(a)] > counts[size_t(b)] : a < b;
  });
  ids.resize(size_t(n));
  return ids;
}

template <class T>
SkipTrigramResult skip_trigrams(const Params<T>& p, const std::vector<int64_t>& sources,
                                const SkipTrigramOptions& o) {
  const Config& c = p.cfg;
  const int64_t V = c.d_vocab, D = c.d_model, H = c.n_heads, K = c.d_head, L = c.n_layers;
  const int64_t S = int64_t(sources.size()), HK = H * K;
  CS_CHECK(o.top_k >= 1 && o.per_head >= 0 && o.chunk >= 1,
           "skip-trigrams: top_k and chunk must be positive, per_head non-negative");
  std::set<int64_t> seen;
  for (int64_t a : sources) {
    CS_CHECK(a >= 0 && a < V, "token id " << a << " out of range [0, " << V << ")");
    CS_CHECK(seen.insert(a).second, "source token " << a << " given twice");
  }
  const size_t k = size_t(o.top_k);
  const T* E = p["embed.W_E"];
  const T* U = p["unembed.W_U"];

  // Everything about the sources, once: their embeddings and their keys and values per layer.
  std::vector<T> ES(size_t(S * D));
  for (int64_t s = 0; s < S; ++s) std::copy_n(E + sources[size_t(s)] * D, D, ES.data() + s * D);
  std::vector<std::vector<T>> WQ(static_cast<size_t>(L)), KS(static_cast<size_t>(L)),
      VS(static_cast<size_t>(L));
  std::vector<const T*> WO(static_cast<size_t>(L));
  for (int64_t l = 0; l < L; ++l) {
    const std::string b = "blocks." + std::to_string(l) + ".attn.";
    WQ[l] = heads_side_by_side(p[b + "W_Q"], H, D, K);
    for (auto [name, out] : {std::pair{"W_K", &KS[l]}, std::pair{"W_V", &VS[l]}}) {
      const std::vector<T> W = heads_side_by_side(p[b + name], H, D, K);
      out->assign(size_t(S * HK), T(0));
      gemm<T>(false, false, S, HK, D, T(1), ES.data(), D, W.data(), HK, T(0), out->data(), HK);
    }
    WO[l] = p[b + "W_O"];  // [H, dh, D] is already [H * dh, D]
  }

  // Accumulators: [layer][head][source] for QK columns and OV rows, then the bigram rows.
  const int64_t n_acc = 2 * L * H * S + S;
  auto qk_at = [&](int64_t l, int64_t h, int64_t s) { return ((l * H + h) * S + s) * 2; };
  const int64_t bigram_base = 2 * L * H * S;
  const int64_t n_chunks = (V + o.chunk - 1) / o.chunk;
  // OpenBLAS (double) must not be entered from several threads at once; oneDNN (float) may.
  const int n_threads = std::is_same_v<T, float> ? std::max(1, omp_get_max_threads()) : 1;
  std::vector<std::vector<TopK>> acc(static_cast<size_t>(n_threads),
                                     std::vector<TopK>(static_cast<size_t>(n_acc)));

#pragma omp parallel num_threads(n_threads)
  {
    std::vector<TopK>& mine = acc[size_t(omp_get_thread_num())];
    std::vector<T> Q(size_t(o.chunk * HK)), Tt(size_t(HK * o.chunk)), R(size_t(S * o.chunk));
#pragma omp for schedule(dynamic, 1)
    for (int64_t ci = 0; ci < n_chunks; ++ci) {
      const int64_t c0 = ci * o.chunk, cn = std::min(o.chunk, V - c0);
      for (int64_t l = 0; l < L; ++l) {
        // Queries of the chunk's tokens as destinations; W_O W_U restricted to the chunk.
        gemm<T>(false, false, cn, HK, D, T(1), E + c0 * D, D, WQ[l].data(), HK, T(0), Q.data(), HK);
        gemm<T>(false, false, HK, cn, D, T(1), WO[l], D, U + c0, V, T(0), Tt.data(), cn);
        for (int64_t h = 0; h < H; ++h) {
          // R[s, d] = QK[c0 + d, source s]
          gemm<T>(false, true, S, cn, K, T(1), KS[l].data() + h * K, HK, Q.data() + h * K, HK, T(0),
                  R.data(), cn);
          for (int64_t s = 0; s < S; ++s)
            scan_row(R.data() + s * cn, cn, c0, mine[qk_at(l, h, s)], k);
          // R[s, b] = OV[source s, c0 + b]
          gemm<T>(false, false, S, cn, K, T(1), VS[l].data() + h * K, HK, Tt.data() + h * K * cn,
                  cn, T(0), R.data(), cn);
          for (int64_t s = 0; s < S; ++s)
            scan_row(R.data() + s * cn, cn, c0, mine[qk_at(l, h, s) + 1], k);
        }
      }
      gemm<T>(false, false, S, cn, D, T(1), ES.data(), D, U + c0, V, T(0), R.data(), cn);
      for (int64_t s = 0; s < S; ++s) scan_row(R.data() + s * cn, cn, c0, mine[bigram_base + s], k);
    }
  }
  for (int t = 1; t < n_threads; ++t)
    for (int64_t i = 0; i < n_acc; ++i) acc[0][size_t(i)].merge(acc[size_t(t)][size_t(i)], k);
  const std::vector<TopK>& top = acc[0];

  SkipTrigramResult r;
  r.sources = sources;
  for (int64_t s = 0; s < S; ++s) {
    r.bigrams.push_back(top[size_t(bigram_base + s)].sorted());
    r.bigram_moments.push_back(top[size_t(bigram_base + s)].moments(V));
  }
  for (int64_t l = 0; l < L; ++l)
    for (int64_t h = 0; h < H; ++h) {
      HeadSkipTrigrams hs;
      hs.layer = int(l);
      hs.head = int(h);
      std::vector<SkipTrigram> all;
      for (int64_t s = 0; s < S; ++s) {
        SourceCircuit sc;
        sc.source = sources[size_t(s)];
        sc.destinations = top[size_t(qk_at(l, h, s))].sorted();
        sc.outputs = top[size_t(qk_at(l, h, s) + 1)].sorted();
        sc.qk = top[size_t(qk_at(l, h, s))].moments(V);
        sc.ov = top[size_t(qk_at(l, h, s) + 1)].moments(V);
        for (const Entry& d : sc.destinations)
          for (const Entry& b : sc.outputs) {
            SkipTrigram t{sc.source, d.index, b.index, d.value, b.value, 0, 0, 0};
            t.qk_z = sc.qk.std > 0 ? (d.value - sc.qk.mean) / sc.qk.std : 0;
            t.ov_z = sc.ov.std > 0 ? (b.value - sc.ov.mean) / sc.ov.std : 0;
            if (t.qk_z <= 0 || t.ov_z <= 0) continue;
            t.strength = t.qk_z * t.ov_z;
            all.push_back(t);
          }
        hs.sources.push_back(std::move(sc));
      }
      const size_t keep = std::min(all.size(), size_t(o.per_head));
      std::partial_sort(all.begin(), all.begin() + keep, all.end(),
                        [](const SkipTrigram& a, const SkipTrigram& b) {
                          if (a.strength != b.strength) return a.strength > b.strength;
                          if (a.source != b.source) return a.source < b.source;
                          if (a.destination != b.destination) return a.destination < b.destination;
                          return a.output < b.output;
                        });
      all.resize(keep);
      hs.ranked = std::move(all);
      r.heads.push_back(std::move(hs));
    }
  return r;
}

template SkipTrigramResult skip_trigrams(const Params<float>&, const std::vector<int64_t>&,
                                         const SkipTrigramOptions&);
template SkipTrigramResult skip_trigrams(const Params<double>&, const std::vector<int64_t>&,
                                         const SkipTrigramOptions&);

}  // namespace cs::analysis
