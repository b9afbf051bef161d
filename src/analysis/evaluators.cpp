#include "analysis/evaluators.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "analysis/snapshot_sweep.h"
#include "analysis/work_budget.h"
#include "core/error.h"
#include "core/rng.h"
#include "model/forward.h"

namespace cs::analysis {

namespace {

// The token pool of docs/evaluators.md: neither the most nor the least common tokens.
constexpr int kByteSkipMostCommon = 10;  // bytes skip the ten most common values
constexpr int64_t kFirstRank = 99;       // from the 100th most common token

// Seeded draw of n distinct pool entries (a partial Fisher-Yates shuffle).
std::vector<int32_t> draw_distinct(const std::vector<int32_t>& pool, int n, Rng& rng) {
  std::vector<int32_t> p = pool;
  for (int i = 0; i < n; ++i) std::swap(p[size_t(i)], p[size_t(i) + rng.below(p.size() - size_t(i))]);
  p.resize(size_t(n));
  return p;
}

void check_options(const EvaluatorOptions& o) {
  CS_CHECK(o.n_sequences >= 1, "evaluators need at least 1 sequence, got " << o.n_sequences);
  CS_CHECK(o.n_tokens >= 2, "evaluators need at least 2 tokens per sequence, got " << o.n_tokens);
  CS_CHECK(o.n_repeats >= 2, "prefix matching needs at least 2 copies, got " << o.n_repeats);
  CS_CHECK(o.text_sequences >= 1, "the previous-token score needs at least 1 text sequence, got "
                                      << o.text_sequences);
  CS_CHECK(o.text_batch >= 1, "text batch must be at least 1, got " << o.text_batch);
}

// Sequences use at most as many distinct tokens as the pool holds, and never fewer than 2.
int fit_pool(const std::vector<int32_t>& pool, int n) {
  const int fit = int(std::min<int64_t>(n, int64_t(pool.size())));
  CS_CHECK(fit >= 2, "the evaluator token pool holds " << pool.size()
                                                       << " tokens; sequences need at least 2 distinct ones");
  return fit;
}

void check_pool_ids(const std::vector<int32_t>& pool, int d_vocab) {
  for (int32_t t : pool)
    CS_CHECK(t >= 0 && t < d_vocab,
             "evaluator token " << t << " is not in the model's vocabulary [0, " << d_vocab << ")");
}

// Columns [0, n_ctx) of the first rows of the text, as [rows, len] tokens.
std::vector<int32_t> text_inputs(const std::vector<int32_t>& text, int64_t n_text, int64_t text_len,
                                 int64_t rows, int64_t len) {
  std::vector<int32_t> out(size_t(rows * len));
  for (int64_t b = 0; b < rows; ++b)
    std::copy_n(text.data() + b * text_len, len, out.data() + b * len);
  return out;
}

struct TextShape {
  int64_t rows = 0, len = 0;
};

TextShape text_shape(const std::vector<int32_t>& text, int64_t n_text, int64_t text_len, const Config& c,
                     int wanted, double max_flops = INFINITY, std::string* limited = nullptr) {
  CS_CHECK(n_text >= 1 && text_len >= 2,
           "the previous-token score needs evaluation text of at least 2 tokens, got "
               << n_text << " sequences of " << text_len);
  CS_CHECK(int64_t(text.size()) == n_text * text_len,
           "evaluation text holds " << text.size() << " tokens, expected " << n_text << " x "
                                    << text_len);
  const TextShape full{std::min<int64_t>(n_text, wanted), std::min<int64_t>(text_len, c.n_ctx)};
  // Within the budget: fewer rows first (two at least, which the positional score compares),
  // then the first half of the positions, and again.
  TextShape s = full;
  auto cost = [&] { return double(s.rows * s.len) * forward_flops_per_token(c, s.len); };
  while (cost() > max_flops && s.rows > std::min<int64_t>(2, full.rows)) --s.rows;
  while (cost() > max_flops && s.len > 2) s.len /= 2;
  if (limited && (s.rows < full.rows || s.len < full.len))
    *limited = "work budget: text scores on " + count_of(s.rows, full.rows, "evaluation sequences") +
               ", " + count_of(s.len, full.len, "positions");
  return s;
}

// Previous-token and positional sums over the text, in batches of `batch` sequences.
template <class T>
void score_text(const Params<T>& params, const std::vector<int32_t>& text, int64_t n_text,
                int64_t text_len, int wanted, int batch, std::vector<double>* previous,
                std::vector<double>* positional, TextShape* used, double max_flops = INFINITY,
                std::string* limited = nullptr) {
  const Config& c = params.cfg;
  const TextShape s = text_shape(text, n_text, text_len, c, wanted, max_flops, limited);
  // Large models: as many sequences at a time as kAnalysisBytes of cache hold, but two at least,
  // the pair the positional score compares.
  const int64_t fit = int64_t(kAnalysisBytes / (double(s.len) * activation_bytes_per_token(c, s.len)));
  const int64_t L = c.n_layers, H = c.n_heads,
                Bmax = std::max<int64_t>(std::min<int64_t>({2, batch, s.rows}), std::min<int64_t>({batch, s.rows, fit}));
  const std::vector<int32_t> inputs = text_inputs(text, n_text, text_len, s.rows, s.len);
  std::vector<double> prev_sum(size_t(L * H), 0.0), pos_sum(size_t(L * H), 0.0);
  int64_t pos_count = 0;
  for (int64_t b0 = 0; b0 < s.rows; b0 += Bmax) {
    const int64_t nb = std::min(Bmax, s.rows - b0);
    Activations<T> acts(c, nb, s.len);
    acts.set_tokens(inputs.data() + b0 * s.len);
    forward(params, acts);
    for (int64_t l = 0; l < L; ++l) {
      const std::vector<double> p = previous_token_scores(acts.pattern[l].data(), nb, H, s.len);
      for (int64_t h = 0; h < H; ++h) prev_sum[size_t(l * H + h)] += p[size_t(h)] * double(nb);
      if (!positional) continue;
      std::vector<double> sums(size_t(H), 0.0);
      int64_t count = 0;
      positional_distance_sums(acts.pattern[l].data(), nb, H, s.len, sums, count);
      for (int64_t h = 0; h < H; ++h) pos_sum[size_t(l * H + h)] += sums[size_t(h)];
      if (l == 0) pos_count += count;
    }
  }
  previous->assign(size_t(L * H), 0.0);
  for (size_t i = 0; i < previous->size(); ++i) (*previous)[i] = prev_sum[i] / double(s.rows);
  if (positional) {
    positional->assign(size_t(L * H), std::numeric_limits<double>::quiet_NaN());
    // A single sequence has no pair to compare: the score stays undefined (NaN).
    if (pos_count > 0)
      for (size_t i = 0; i < positional->size(); ++i)
        (*positional)[i] = 1.0 - pos_sum[i] / double(pos_count);
  }
  if (used) *used = s;
}

// Copying ratio of every head on the copying sequences: the head's result is read through W_U
// at the sample's tokens only. The mean logit over the vocabulary is result . mean_v(W_U[:, v]),
// so no d_vocab-wide row is ever formed.
template <class T>
void score_copying(const Params<T>& params, const std::vector<int32_t>& seqs, int n_seq,
                   int n_tok, std::vector<double>& ratio) {
  const Config& c = params.cfg;
  const int64_t L = c.n_layers, H = c.n_heads, D = c.d_model, V = c.d_vocab, Tn = n_tok;
  Activations<T> acts(c, n_seq, Tn);
  acts.set_tokens(seqs.data());
  forward(params, acts);
  const T* W_U = params["unembed.W_U"];
  std::vector<double> u_mean(size_t(D), 0.0);
  for (int64_t d = 0; d < D; ++d) {
    double s = 0;
    for (int64_t v = 0; v < V; ++v) s += double(W_U[d * V + v]);
    u_mean[size_t(d)] = s / double(V);
  }
  ratio.assign(size_t(L * H), 0.0);
  std::vector<double> gains(size_t(n_seq * Tn * Tn));
  for (int64_t l = 0; l < L; ++l) {
    const HookTensor<T> result = acts.head_result(params, int(l));  // [B, T, H, D]
    for (int64_t h = 0; h < H; ++h) {
      for (int64_t b = 0; b < n_seq; ++b)
        for (int64_t q = 0; q < Tn; ++q) {
          const T* r = result.data.data() + ((b * Tn + q) * H + h) * D;
          double mean = 0;
          for (int64_t d = 0; d < D; ++d) mean += double(r[d]) * u_mean[size_t(d)];
          for (int64_t k = 0; k < Tn; ++k) {
            const int32_t tok = seqs[size_t(b * Tn + k)];
            double logit = 0;
            for (int64_t d = 0; d < D; ++d) logit += double(r[d]) * double(W_U[d * V + tok]);
            gains[size_t((b * Tn + q) * Tn + k)] = std::max(0.0, logit - mean);
          }
        }
      const CopyingSums s = copying_sums(acts.pattern[l].data() + h * Tn * Tn, H * Tn * Tn,
                                         gains.data(), n_seq, Tn);
      ratio[size_t(l * H + h)] = s.ratio();
    }
  }
}

}  // namespace

TokenPool token_pool(const std::vector<int64_t>& counts, int bos_id, bool byte_vocab,
                     int64_t min_size) {
  std::vector<int32_t> seen;
  for (size_t t = 0; t < counts.size(); ++t)
    if (counts[t] > 0 && int(t) != bos_id) seen.push_back(int32_t(t));
  std::stable_sort(seen.begin(), seen.end(),
                   [&](int32_t a, int32_t b) { return counts[size_t(a)] > counts[size_t(b)]; });
  TokenPool p;
  if (byte_vocab) {
    p.rule = "every byte seen in the training split except the ten most common (and BOS)";
    if (int64_t(seen.size()) > kByteSkipMostCommon)
      p.tokens.assign(seen.begin() + kByteSkipMostCommon, seen.end());
  } else {
    p.rule = "training-split frequency ranks 100 up to the median rank of the tokens seen (BOS left out)";
    const int64_t median = int64_t(seen.size()) / 2;
    if (median > kFirstRank) p.tokens.assign(seen.begin() + kFirstRank, seen.begin() + median);
  }
  if (int64_t(p.tokens.size()) < min_size) {
    p.tokens = seen;
    p.rule = "every token seen in the training split except BOS (the frequency-rank pool held "
             "fewer than " + std::to_string(min_size) + ")";
  }
  return p;
}

RepeatedTokens repeated_token_windows(const std::vector<int32_t>& pool, int bos_id, int n_ctx,
                                      const EvaluatorOptions& o) {
  check_options(o);
  RepeatedTokens r;
  r.n_sequences = o.n_sequences;
  r.n_repeats = o.n_repeats;
  r.n_tokens = std::min(o.n_tokens, (n_ctx - 1) / o.n_repeats);
  CS_CHECK(r.n_tokens >= 2, "n_ctx " << n_ctx << " is too short for " << o.n_repeats
                                     << " copies of a 2-token sequence after BOS");
  r.n_tokens = fit_pool(pool, r.n_tokens);
  Rng rng(o.seed);
  const int W = r.seq() + 1;
  r.windows.resize(size_t(r.n_sequences) * size_t(W));
  for (int b = 0; b < r.n_sequences; ++b) {
    const std::vector<int32_t> s = draw_distinct(pool, r.n_tokens, rng);
    int32_t* row = r.windows.data() + size_t(b) * size_t(W);
    row[0] = bos_id;
    for (int k = 0; k < W - 1; ++k) row[1 + k] = s[size_t(k % r.n_tokens)];
  }
  return r;
}

std::vector<int32_t> copying_sequences(const std::vector<int32_t>& pool, const EvaluatorOptions& o) {
  check_options(o);
  const int n = fit_pool(pool, o.n_tokens);
  Rng rng(o.seed ^ 0x636f7079696e67ull);  // another stream than the repeated sequences
  std::vector<int32_t> out;
  for (int b = 0; b < o.n_sequences; ++b) {
    const std::vector<int32_t> s = draw_distinct(pool, n, rng);
    out.insert(out.end(), s.begin(), s.end());
  }
  return out;
}

template <class T>
std::vector<double> prefix_matching_scores(const T* pattern, int64_t B, int64_t H, int64_t Tn,
                                           int n_tokens, int n_repeats) {
  CS_CHECK(Tn >= 1 + int64_t(n_repeats) * n_tokens,
           "a pattern of " << Tn << " positions cannot hold BOS and " << n_repeats << " copies of "
                           << n_tokens << " tokens");
  std::vector<double> out(size_t(H), 0.0);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h) {
      const T* P = pattern + (b * H + h) * Tn * Tn;
      double sum = 0;
      for (int r = 1; r < n_repeats; ++r)
        for (int k = 0; k < n_tokens; ++k) {
          const int64_t i = 1 + int64_t(r) * n_tokens + k;
          for (int rp = 0; rp < r; ++rp) sum += double(P[i * Tn + 1 + int64_t(rp) * n_tokens + k + 1]);
        }
      out[size_t(h)] += sum;
    }
  const double n = double(B) * double(n_repeats - 1) * double(n_tokens);
  for (double& x : out) x /= n;
  return out;
}

template <class T>
std::vector<double> previous_token_scores(const T* pattern, int64_t B, int64_t H, int64_t Tn) {
  CS_CHECK(Tn >= 2, "the previous-token score needs at least 2 positions, got " << Tn);
  std::vector<double> out(size_t(H), 0.0);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h) {
      const T* P = pattern + (b * H + h) * Tn * Tn;
      for (int64_t i = 1; i < Tn; ++i) out[size_t(h)] += double(P[i * Tn + i - 1]);
    }
  for (double& x : out) x /= double(B) * double(Tn - 1);
  return out;
}

template <class T>
void positional_distance_sums(const T* pattern, int64_t B, int64_t H, int64_t Tn,
                              std::vector<double>& sums, int64_t& count) {
  sums.resize(size_t(H), 0.0);
  for (int64_t b = 0; b + 1 < B; ++b) {
    for (int64_t h = 0; h < H; ++h) {
      const T* P = pattern + (b * H + h) * Tn * Tn;
      const T* Q = pattern + ((b + 1) * H + h) * Tn * Tn;
      double s = 0;
      for (int64_t i = 1; i < Tn; ++i) {
        double tv = 0;
        for (int64_t j = 0; j <= i; ++j) tv += std::abs(double(P[i * Tn + j]) - double(Q[i * Tn + j]));
        s += 0.5 * tv;
      }
      sums[size_t(h)] += s;
    }
    count += Tn - 1;
  }
}

double CopyingSums::ratio() const {
  return denominator > 0 ? numerator / denominator : std::numeric_limits<double>::quiet_NaN();
}

template <class T>
CopyingSums copying_sums(const T* head_pattern, int64_t batch_stride, const double* gains,
                         int64_t B, int64_t Tn) {
  CopyingSums s;
  for (int64_t b = 0; b < B; ++b) {
    const T* P = head_pattern + b * batch_stride;
    for (int64_t q = 0; q < Tn; ++q) {
      const double* g = gains + (b * Tn + q) * Tn;
      for (int64_t j = 0; j <= q; ++j) s.numerator += double(P[q * Tn + j]) * g[j];
      for (int64_t k = 0; k < Tn; ++k) s.denominator += g[k];
    }
  }
  return s;
}

nlohmann::ordered_json HeadEvaluation::parameters_json() const {
  auto num = [](double x) {
    return std::isfinite(x) ? nlohmann::ordered_json(x) : nlohmann::ordered_json(nullptr);
  };
  nlohmann::ordered_json j;
  j["repeated_token_loss"] = num(repeated_token_loss);
  j["first_copy_loss"] = num(first_copy_loss);
  j["ln_d_vocab"] = ln_d_vocab;
  j["n_sequences"] = options.n_sequences;
  j["n_tokens"] = options.n_tokens;
  j["n_repeats"] = options.n_repeats;
  j["seed"] = options.seed;
  j["copying_tokens"] = copying_tokens;
  j["token_pool_size"] = pool_size;
  j["token_pool"] = pool_rule.empty() ? "given by the caller" : pool_rule;
  j["text_sequences"] = text_sequences_used;
  j["text_length"] = text_length;
  if (!limited.empty()) j["limited"] = limited;
  j["prefix_matching"] =
      "BOS + n_repeats copies of n_tokens distinct pool tokens; for each token of copies 2.., the "
      "total attention to the positions right after its earlier copies; mean over tokens and "
      "sequences";
  j["previous_token"] = "mean attention i -> i-1 over positions i >= 1 of the evaluation text";
  j["positional"] =
      "1 - mean total-variation distance between the attention rows of consecutive evaluation "
      "sequences (1: where the head looks depends on position only)";
  j["copying_r"] =
      "n_sequences of n_tokens distinct pool tokens, no BOS; g_q = ReLU(result_q W_U - mean "
      "logit); r = sum_q sum_j A[q,j] g_q[t_j] / sum_q sum_(v in sample) g_q[v]";
  j["copying_scaled"] = "4 r - 1";
  return j;
}

template <class T>
HeadEvaluation evaluate_heads(const Params<T>& params, const std::vector<int32_t>& pool, int bos_id,
                              const std::vector<int32_t>& text, int64_t n_text, int64_t text_len,
                              const EvaluatorOptions& options) {
  check_options(options);
  const Config& c = params.cfg;
  check_pool_ids(pool, c.d_vocab);
  CS_CHECK(bos_id >= 0 && bos_id < c.d_vocab,
           "BOS id " << bos_id << " is not in the model's vocabulary [0, " << c.d_vocab << ")");
  const int64_t L = c.n_layers, H = c.n_heads;
  HeadEvaluation e;
  e.n_layers = int(L);
  e.n_heads = int(H);
  e.options = options;
  e.pool_size = int64_t(pool.size());
  e.ln_d_vocab = std::log(double(c.d_vocab));

  // Prefix matching and the repeated-token loss share one pass over the repeated sequences.
  const RepeatedTokens rep = repeated_token_windows(pool, bos_id, c.n_ctx, options);
  e.options.n_tokens = rep.n_tokens;
  {
    Activations<T> acts(c, rep.n_sequences, rep.seq());
    acts.set_windows(rep.windows.data());
    forward(params, acts);
    for (int64_t l = 0; l < L; ++l) {
      const std::vector<double> p = prefix_matching_scores(acts.pattern[l].data(), rep.n_sequences,
                                                           H, rep.seq(), rep.n_tokens, rep.n_repeats);
      e.prefix_matching.insert(e.prefix_matching.end(), p.begin(), p.end());
    }
    // loss[i] predicts token i + 1: copy r's tokens sit at 1 + r n .. r n + n.
    const int64_t n = rep.n_tokens, S = rep.seq();
    double first = 0, later = 0;
    for (int64_t b = 0; b < rep.n_sequences; ++b) {
      for (int64_t i = 0; i < n; ++i) first += double(acts.loss[size_t(b * S + i)]);
      for (int64_t i = n; i < int64_t(rep.n_repeats) * n; ++i) later += double(acts.loss[size_t(b * S + i)]);
    }
    e.first_copy_loss = first / double(rep.n_sequences * n);
    e.repeated_token_loss = later / double(rep.n_sequences * (rep.n_repeats - 1) * n);
  }

  EvaluatorOptions copy_opts = options;
  copy_opts.n_tokens = std::min(options.n_tokens, c.n_ctx);
  const std::vector<int32_t> seqs = copying_sequences(pool, copy_opts);
  e.copying_tokens = int(seqs.size()) / copy_opts.n_sequences;
  score_copying(params, seqs, copy_opts.n_sequences, e.copying_tokens, e.copying_r);
  for (double r : e.copying_r) e.copying_scaled.push_back(4.0 * r - 1.0);

  TextShape used;
  score_text(params, text, n_text, text_len, options.text_sequences, options.text_batch,
             &e.previous_token, &e.positional, &used, options.max_text_flops, &e.limited);
  e.text_sequences_used = used.rows;
  e.text_length = used.len;
  return e;
}

template <class T>
void evaluate_attention_scores(const Params<T>& params, const RepeatedTokens& rep,
                               const std::vector<int32_t>& text, int64_t n_text, int64_t text_len,
                               int text_batch, std::vector<double>& prefix_matching,
                               std::vector<double>& previous_token) {
  const Config& c = params.cfg;
  CS_CHECK(rep.seq() <= c.n_ctx, "repeated sequences of " << rep.seq()
                                                          << " tokens do not fit n_ctx " << c.n_ctx);
  {
    Activations<T> acts(c, rep.n_sequences, rep.seq());
    // Inputs only: the loss would cost a d_vocab-wide unembedding for nothing.
    std::vector<int32_t> inputs(size_t(rep.n_sequences) * size_t(rep.seq()));
    for (int b = 0; b < rep.n_sequences; ++b)
      std::copy_n(rep.windows.data() + size_t(b) * size_t(rep.seq() + 1), rep.seq(),
                  inputs.data() + size_t(b) * size_t(rep.seq()));
    acts.set_tokens(inputs.data());
    forward(params, acts);
    prefix_matching.clear();
    for (int l = 0; l < c.n_layers; ++l) {
      const std::vector<double> p = prefix_matching_scores(
          acts.pattern[size_t(l)].data(), rep.n_sequences, c.n_heads, rep.seq(), rep.n_tokens,
          rep.n_repeats);
      prefix_matching.insert(prefix_matching.end(), p.begin(), p.end());
    }
  }
  score_text(params, text, n_text, text_len, int(n_text), text_batch, &previous_token, nullptr,
             nullptr);
}

HeadsOverTraining heads_over_training(int64_t n_snapshots,
                                      const std::function<Params<float>(int64_t)>& load,
                                      const std::vector<int32_t>& pool, int bos_id,
                                      const std::vector<int32_t>& text, int64_t n_text,
                                      int64_t text_len, const EvaluatorOptions& options) {
  CS_CHECK(n_snapshots >= 1, "no snapshots to evaluate");
  const Params<float> first = load(0);
  const Config c = first.cfg;
  check_pool_ids(pool, c.d_vocab);
  const RepeatedTokens rep = repeated_token_windows(pool, bos_id, c.n_ctx, options);
  const TextShape s = text_shape(text, n_text, text_len, c, options.text_sequences);
  const std::vector<int32_t> inputs = text_inputs(text, n_text, text_len, s.rows, s.len);
  const int64_t LH = int64_t(c.n_layers) * c.n_heads;
  HeadsOverTraining out;
  out.n_layers = c.n_layers;
  out.n_heads = c.n_heads;
  out.prefix_matching.assign(size_t(n_snapshots * LH), 0.0);
  out.previous_token.assign(size_t(n_snapshots * LH), 0.0);
  for_each_snapshot(n_snapshots, load, first, [&](int64_t i, const Params<float>& p) {
    std::vector<double> pm, pt;
    evaluate_attention_scores(p, rep, inputs, s.rows, s.len, options.text_batch, pm, pt);
    std::copy(pm.begin(), pm.end(), out.prefix_matching.begin() + i * LH);
    std::copy(pt.begin(), pt.end(), out.previous_token.begin() + i * LH);
  });
  return out;
}

#define CS_INSTANTIATE(T)                                                                        \
  template std::vector<double> prefix_matching_scores<T>(const T*, int64_t, int64_t, int64_t, int, \
                                                         int);                                   \
  template std::vector<double> previous_token_scores<T>(const T*, int64_t, int64_t, int64_t);    \
  template void positional_distance_sums<T>(const T*, int64_t, int64_t, int64_t,                 \
                                            std::vector<double>&, int64_t&);                     \
  template CopyingSums copying_sums<T>(const T*, int64_t, const double*, int64_t, int64_t);      \
  template HeadEvaluation evaluate_heads<T>(const Params<T>&, const std::vector<int32_t>&, int,  \
                                            const std::vector<int32_t>&, int64_t, int64_t,       \
                                            const EvaluatorOptions&);                            \
  template void evaluate_attention_scores<T>(const Params<T>&, const RepeatedTokens&,            \
                                             const std::vector<int32_t>&, int64_t, int64_t, int, \
                                             std::vector<double>&, std::vector<double>&);
CS_INSTANTIATE(float)
CS_INSTANTIATE(double)
#undef CS_INSTANTIATE

namespace {

int64_t snapshots_scored(const HeadsOverTraining& h) {
  const int64_t per_snapshot = int64_t(h.n_layers) * h.n_heads;
  CS_CHECK(per_snapshot > 0 && h.prefix_matching.size() % per_snapshot == 0,
           "heads over training: " << h.prefix_matching.size() << " prefix-matching scores for "
                                   << h.n_layers << " layers of " << h.n_heads << " heads");
  return int64_t(h.prefix_matching.size()) / per_snapshot;
}

}  // namespace

std::optional<int64_t> first_crossing(const HeadsOverTraining& h, int layer, int head, double threshold) {
  const int64_t n = snapshots_scored(h);
  for (int64_t s = 0; s < n; ++s)
    if (h.prefix_matching_at(s, layer, head) >= threshold) return s;
  return std::nullopt;
}

std::optional<InductionFormation> first_induction_head(const HeadsOverTraining& h, double threshold) {
  snapshots_scored(h);
  std::optional<InductionFormation> first;
  for (int l = 1; l < h.n_layers; ++l)
    for (int hd = 0; hd < h.n_heads; ++hd) {
      const auto s = first_crossing(h, l, hd, threshold);
      if (s && (!first || *s < first->snapshot)) first = InductionFormation{*s, l, hd, h.prefix_matching_at(*s, l, hd)};
    }
  return first;
}

}  // namespace cs::analysis
