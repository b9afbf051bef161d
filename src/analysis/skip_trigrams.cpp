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

// Where each row's accumulator sits: per (layer, head, source) its QK column and its OV row, then
// the sources' direct-path rows.
struct Slots {
  int64_t L, H, S;
  int64_t qk(int64_t l, int64_t h, int64_t s) const { return ((l * H + h) * S + s) * 2; }
  int64_t ov(int64_t l, int64_t h, int64_t s) const { return qk(l, h, s) + 1; }
  int64_t bigram(int64_t s) const { return 2 * L * H * S + s; }
  int64_t count() const { return 2 * L * H * S + S; }
};

// Everything about the sources, once: their embeddings and their keys and values per layer, and
// the weights each block of the vocabulary is multiplied with.
template <class T>
struct SourceSide {
  const T* E;                              // W_E
  const T* U;                              // W_U
  std::vector<T> ES;                       // [S, D] the sources' embeddings
  std::vector<std::vector<T>> WQ, KS, VS;  // per layer [D, H dh], [S, H dh], [S, H dh]
  std::vector<const T*> WO;                // per layer [H dh, D]

  SourceSide(const Params<T>& p, const std::vector<int64_t>& sources)
      : E(p["embed.W_E"]), U(p["unembed.W_U"]) {
    const Config& c = p.cfg;
    const int64_t D = c.d_model, H = c.n_heads, K = c.d_head, L = c.n_layers;
    const int64_t S = int64_t(sources.size()), HK = H * K;
    ES.resize(size_t(S * D));
    for (int64_t s = 0; s < S; ++s) std::copy_n(E + sources[size_t(s)] * D, D, ES.data() + s * D);
    WQ.resize(size_t(L));
    KS.resize(size_t(L));
    VS.resize(size_t(L));
    WO.resize(size_t(L));
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
  }
};

// One block of the vocabulary, tokens c0 .. c0 + cn: its stretch of every source's rows. Q, Tt
// and R are the calling thread's buffers.
template <class T>
void scan_block(const Config& c, const SourceSide<T>& w, const Slots& at, int64_t c0, int64_t cn,
                size_t k, T* Q, T* Tt, T* R, std::vector<TopK>& top) {
  const int64_t V = c.d_vocab, D = c.d_model, H = c.n_heads, K = c.d_head, HK = H * K;
  const int64_t S = at.S;
  for (int64_t l = 0; l < c.n_layers; ++l) {
    // Queries of the block's tokens as destinations; W_O W_U restricted to the block.
    gemm<T>(false, false, cn, HK, D, T(1), w.E + c0 * D, D, w.WQ[l].data(), HK, T(0), Q, HK);
    gemm<T>(false, false, HK, cn, D, T(1), w.WO[l], D, w.U + c0, V, T(0), Tt, cn);
    for (int64_t h = 0; h < H; ++h) {
      // R[s, d] = QK[c0 + d, source s]
      gemm<T>(false, true, S, cn, K, T(1), w.KS[l].data() + h * K, HK, Q + h * K, HK, T(0), R, cn);
      for (int64_t s = 0; s < S; ++s) scan_row(R + s * cn, cn, c0, top[at.qk(l, h, s)], k);
      // R[s, b] = OV[source s, c0 + b]
      gemm<T>(false, false, S, cn, K, T(1), w.VS[l].data() + h * K, HK, Tt + h * K * cn, cn, T(0),
              R, cn);
      for (int64_t s = 0; s < S; ++s) scan_row(R + s * cn, cn, c0, top[at.ov(l, h, s)], k);
    }
  }
  gemm<T>(false, false, S, cn, D, T(1), w.ES.data(), D, w.U + c0, V, T(0), R, cn);
  for (int64_t s = 0; s < S; ++s) scan_row(R + s * cn, cn, c0, top[at.bigram(s)], k);
}

// Every row of every slot, in one pass over the vocabulary a block at a time.
template <class T>
std::vector<TopK> scan_vocabulary(const Config& c, const SourceSide<T>& w, const Slots& at,
                                  const SkipTrigramOptions& o) {
  const int64_t V = c.d_vocab, HK = int64_t(c.n_heads) * c.d_head;
  const size_t k = size_t(o.top_k);
  const int64_t n_chunks = (V + o.chunk - 1) / o.chunk;
  // OpenBLAS (double) must not be entered from several threads at once; oneDNN (float) may.
  const int n_threads = std::is_same_v<T, float> ? std::max(1, omp_get_max_threads()) : 1;
  std::vector<std::vector<TopK>> acc(static_cast<size_t>(n_threads),
                                     std::vector<TopK>(static_cast<size_t>(at.count())));
#pragma omp parallel num_threads(n_threads)
  {
    std::vector<T> Q(size_t(o.chunk * HK)), Tt(size_t(HK * o.chunk)), R(size_t(at.S * o.chunk));
#pragma omp for schedule(dynamic, 1)
    for (int64_t ci = 0; ci < n_chunks; ++ci) {
      const int64_t c0 = ci * o.chunk, cn = std::min(o.chunk, V - c0);
      scan_block(c, w, at, c0, cn, k, Q.data(), Tt.data(), R.data(),
                 acc[size_t(omp_get_thread_num())]);
    }
  }
  for (int t = 1; t < n_threads; ++t)
    for (int64_t i = 0; i < at.count(); ++i) acc[0][size_t(i)].merge(acc[size_t(t)][size_t(i)], k);
  return std::move(acc[0]);
}

// The source's triples whose destination and output both stand above their vocabulary mean.
void append_triples(const SourceCircuit& sc, std::vector<SkipTrigram>& all) {
  for (const Entry& d : sc.destinations)
    for (const Entry& b : sc.outputs) {
      SkipTrigram t{sc.source, d.index, b.index, d.value, b.value, 0, 0, 0};
      t.qk_z = sc.qk.std > 0 ? (d.value - sc.qk.mean) / sc.qk.std : 0;
      t.ov_z = sc.ov.std > 0 ? (b.value - sc.ov.mean) / sc.ov.std : 0;
      if (t.qk_z <= 0 || t.ov_z <= 0) continue;
      t.strength = t.qk_z * t.ov_z;
      all.push_back(t);
    }
}

// The n strongest; ties by source, destination, output.
std::vector<SkipTrigram> strongest(std::vector<SkipTrigram> all, int64_t n) {
  const size_t keep = std::min(all.size(), size_t(n));
  std::partial_sort(all.begin(), all.begin() + keep, all.end(),
                    [](const SkipTrigram& a, const SkipTrigram& b) {
                      if (a.strength != b.strength) return a.strength > b.strength;
                      if (a.source != b.source) return a.source < b.source;
                      if (a.destination != b.destination) return a.destination < b.destination;
                      return a.output < b.output;
                    });
  all.resize(keep);
  return all;
}

HeadSkipTrigrams head_skip_trigrams(const std::vector<TopK>& top, const Slots& at,
                                    const std::vector<int64_t>& sources, int64_t l, int64_t h,
                                    int64_t V, int64_t per_head) {
  HeadSkipTrigrams hs;
  hs.layer = int(l);
  hs.head = int(h);
  std::vector<SkipTrigram> all;
  for (int64_t s = 0; s < at.S; ++s) {
    const TopK& qk = top[size_t(at.qk(l, h, s))];
    const TopK& ov = top[size_t(at.ov(l, h, s))];
    SourceCircuit sc;
    sc.source = sources[size_t(s)];
    sc.destinations = qk.sorted();
    sc.outputs = ov.sorted();
    sc.qk = qk.moments(V);
    sc.ov = ov.moments(V);
    append_triples(sc, all);
    hs.sources.push_back(std::move(sc));
  }
  hs.ranked = strongest(std::move(all), per_head);
  return hs;
}

void check_sources(const std::vector<int64_t>& sources, int64_t V, const SkipTrigramOptions& o) {
  CS_CHECK(o.top_k >= 1 && o.per_head >= 0 && o.chunk >= 1,
           "skip-trigrams: top_k and chunk must be positive, per_head non-negative");
  std::set<int64_t> seen;
  for (int64_t a : sources) {
    CS_CHECK(a >= 0 && a < V, "token id " << a << " out of range [0, " << V << ")");
    CS_CHECK(seen.insert(a).second, "source token " << a << " given twice");
  }
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
  const int64_t V = c.d_vocab;
  check_sources(sources, V, o);
  const Slots at{c.n_layers, c.n_heads, int64_t(sources.size())};
  const std::vector<TopK> top = scan_vocabulary(c, SourceSide<T>(p, sources), at, o);
  SkipTrigramResult r;
  r.sources = sources;
  for (int64_t s = 0; s < at.S; ++s) {
    r.bigrams.push_back(top[size_t(at.bigram(s))].sorted());
    r.bigram_moments.push_back(top[size_t(at.bigram(s))].moments(V));
  }
  for (int64_t l = 0; l < at.L; ++l)
    for (int64_t h = 0; h < at.H; ++h)
      r.heads.push_back(head_skip_trigrams(top, at, sources, l, h, V, o.per_head));
  return r;
}

template SkipTrigramResult skip_trigrams(const Params<float>&, const std::vector<int64_t>&,
                                         const SkipTrigramOptions&);
template SkipTrigramResult skip_trigrams(const Params<double>&, const std::vector<int64_t>&,
                                         const SkipTrigramOptions&);

}  // namespace cs::analysis
