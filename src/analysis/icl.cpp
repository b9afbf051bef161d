#include "analysis/icl.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "analysis/smoothing.h"
#include "core/error.h"

namespace cs::analysis {

namespace {

constexpr int64_t kFullContext = 511;  // the fixed default windows need positions up to 510
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void check_window(const char* name, const Window& w, int64_t n_ctx) {
  CS_CHECK(w.first <= w.last,
           name << " window [" << w.first << ", " << w.last << "] is empty (first > last)");
  CS_CHECK(w.first >= 0 && w.last < n_ctx, name << " window [" << w.first << ", " << w.last
                                                << "] lies outside the positions 0.." << n_ctx - 1
                                                << " of n_ctx " << n_ctx);
}

Window around(int64_t index, int64_t half_width, int64_t n_ctx) {
  return {std::max<int64_t>(0, index - half_width),
          std::min<int64_t>(n_ctx - 1, index + half_width)};
}

// default_window: the fixed window of docs/icl.md, used only when neither index nor window is
// given.
void resolve_one(const char* name, std::optional<int64_t> index, std::optional<Window> window,
                 int64_t default_index, const Window& default_window, int64_t half_width,
                 int64_t n_ctx, int64_t& index_out, Window& window_out) {
  if (window) {
    check_window(name, *window, n_ctx);
    window_out = *window;
    index_out = index ? *index : (window->first + window->last) / 2;
  } else {
    index_out = index ? *index : default_index;
    CS_CHECK(index_out >= 0 && index_out < n_ctx, name << " index " << index_out
                                                       << " lies outside the positions 0.."
                                                       << n_ctx - 1 << " of n_ctx " << n_ctx);
    window_out = index ? around(index_out, half_width, n_ctx) : default_window;
  }
  CS_CHECK(index_out >= window_out.first && index_out <= window_out.last,
           name << " index " << index_out << " lies outside its window [" << window_out.first
                << ", " << window_out.last << "]");
}

void check_axes(std::span<const int64_t> steps, std::span<const int64_t> tokens,
                int64_t n_snapshots) {
  CS_CHECK(int64_t(steps.size()) == n_snapshots,
           "got " << steps.size() << " steps for " << n_snapshots << " snapshots");
  CS_CHECK(int64_t(tokens.size()) == n_snapshots,
           "got " << tokens.size() << " token counts for " << n_snapshots << " snapshots");
  for (int64_t s = 0; s < n_snapshots; ++s) {
    CS_CHECK(tokens[s] >= 0, "snapshot " << s << " has a negative token count " << tokens[s]);
    if (s == 0) continue;
    CS_CHECK(steps[s] > steps[s - 1], "snapshot steps must increase, but snapshot "
                                          << s << " has step " << steps[s] << " after "
                                          << steps[s - 1]);
    CS_CHECK(tokens[s] > tokens[s - 1], "snapshot token counts must increase, but snapshot "
                                            << s << " has " << tokens[s] << " tokens after "
                                            << tokens[s - 1]);
  }
}

// The phase-change rule of docs/icl.md on the log-token axis. `first` is the first snapshot with
// tokens > 0; the derivative is only defined from there on.
std::optional<PhaseChange> find_phase_change(const IclResult& r, size_t first) {
  const std::vector<double>& d1 = r.d_icl_d_logtokens;
  size_t m = first;
  for (size_t i = first; i < d1.size(); ++i)
    if (d1[i] < d1[m]) m = i;
  if (!(d1[m] < 0)) return std::nullopt;
  const double half = 0.5 * d1[m];
  size_t a = m, b = m;
  while (a > first && d1[a - 1] <= half) --a;
  while (b + 1 < d1.size() && d1[b + 1] <= half) ++b;
  const double delta = r.icl_score_smoothed[b] - r.icl_score_smoothed[a];
  if (!(delta <= -r.min_drop_nats)) return std::nullopt;
  PhaseChange p;
  p.start_snapshot = int64_t(a);
  p.end_snapshot = int64_t(b);
  p.start_step = r.steps[a];
  p.end_step = r.steps[b];
  p.start_tokens = r.tokens[a];
  p.end_tokens = r.tokens[b];
  p.steepest_tokens = r.tokens[m];
  p.steepest_derivative = d1[m];
  p.delta_nats = delta;
  return p;
}

void check_loss_shape(std::span<const float> loss, int64_t n_snapshots, int64_t n_eval,
                      int64_t n_ctx) {
  CS_CHECK(n_snapshots > 0 && n_eval > 0 && n_ctx > 0, "per-sequence loss has an empty shape ["
                                                           << n_snapshots << ", " << n_eval << ", "
                                                           << n_ctx << "]");
  CS_CHECK(int64_t(loss.size()) == n_snapshots * n_eval * n_ctx,
           "per-sequence loss holds " << loss.size() << " values, expected " << n_snapshots << " x "
                                      << n_eval << " x " << n_ctx);
}

// The mean loss of one sequence over a window of positions.
double window_mean(const float* row, const Window& w) {
  double m = 0;
  for (int64_t i = w.first; i <= w.last; ++i) m += row[i];
  return m / double(w.size());
}

// The standard error of x's mean, NaN for a single value. The squared deviations are all formed
// before they are summed, so the compiler cannot fuse a square into the sum (a multiply-add
// rounds once, not twice): the result does not depend on how the loop is compiled.
double standard_error(std::vector<double> x, double mean) {
  if (x.size() < 2) return kNaN;
  for (double& d : x) d = (d - mean) * (d - mean);
  double ss = 0;
  for (double d : x) ss += d;
  return std::sqrt(ss / double(x.size() - 1) / double(x.size()));
}

// Snapshot s's ICL score: late minus early window loss, per sequence, then averaged.
void score_snapshot(std::span<const float> loss, int64_t s, int64_t n_eval, int64_t n_ctx,
                    IclResult& r) {
  std::vector<double> diff(static_cast<size_t>(n_eval));
  double early_sum = 0, late_sum = 0;
  for (int64_t e = 0; e < n_eval; ++e) {
    const float* row = loss.data() + (s * n_eval + e) * n_ctx;
    for (int64_t i = 0; i < n_ctx; ++i)
      CS_CHECK(std::isfinite(row[i]), "loss is not finite (" << row[i] << ") at snapshot " << s
                                                             << ", sequence " << e
                                                             << ", position " << i);
    const double early = window_mean(row, r.positions.early_window);
    const double late = window_mean(row, r.positions.late_window);
    early_sum += early;
    late_sum += late;
    diff[size_t(e)] = late - early;
  }
  double mean = 0;
  for (double d : diff) mean += d;
  mean /= double(n_eval);
  r.icl_score.push_back(mean);
  r.icl_stderr.push_back(standard_error(std::move(diff), mean));
  r.early_loss.push_back(early_sum / double(n_eval));
  r.late_loss.push_back(late_sum / double(n_eval));
}

// The smoothed score's first and second derivatives over log tokens, from the snapshot `first`
// on (the first with tokens > 0); undefined (NaN) before it.
void log_token_derivatives(std::span<const int64_t> tokens, size_t first, IclResult& r) {
  const size_t n_log = tokens.size() - first;
  CS_CHECK(n_log >= 3,
           "derivatives over log tokens need at least 3 snapshots with tokens > 0, got " << n_log);
  std::vector<double> x(n_log), y(n_log);
  for (size_t i = 0; i < n_log; ++i) {
    x[i] = std::log(double(tokens[first + i]));
    y[i] = r.icl_score_smoothed[first + i];
  }
  const std::vector<double> d1 = derivative(x, y), d2 = second_derivative(x, y);
  r.d_icl_d_logtokens.assign(first, kNaN);
  r.d2_icl_d_logtokens2.assign(first, kNaN);
  r.d_icl_d_logtokens.insert(r.d_icl_d_logtokens.end(), d1.begin(), d1.end());
  r.d2_icl_d_logtokens2.insert(r.d2_icl_d_logtokens2.end(), d2.begin(), d2.end());
}

}  // namespace

IclPositions resolve_positions(int64_t n_ctx, const IclOptions& o) {
  CS_CHECK(n_ctx >= 2,
           "n_ctx must be at least 2 to compare early and late positions, got " << n_ctx);
  IclPositions p;
  p.defaults_scaled = n_ctx < kFullContext;
  int64_t early = 48, late = 498, half = 12;
  Window early_window{36, 60}, late_window{486, 510};
  if (p.defaults_scaled) {
    early = int64_t(std::floor(0.10 * double(n_ctx)));
    late = std::min<int64_t>(n_ctx - 1, int64_t(std::floor(0.97 * double(n_ctx))));
    half = std::max<int64_t>(1, std::llround(0.05 * double(n_ctx)));
    early_window = around(early, half, n_ctx);
    late_window = around(late, half, n_ctx);
  }
  resolve_one("early", o.early_index, o.early_window, early, early_window, half, n_ctx,
              p.early_index, p.early_window);
  resolve_one("late", o.late_index, o.late_window, late, late_window, half, n_ctx, p.late_index,
              p.late_window);
  CS_CHECK(p.early_window.last < p.late_window.first,
           "early window [" << p.early_window.first << ", " << p.early_window.last
                            << "] must end before late window [" << p.late_window.first << ", "
                            << p.late_window.last << "] starts (n_ctx " << n_ctx << ")");
  return p;
}

std::vector<float> mean_over_sequences(std::span<const float> loss, int64_t n_snapshots,
                                       int64_t n_eval, int64_t n_ctx) {
  check_loss_shape(loss, n_snapshots, n_eval, n_ctx);
  std::vector<float> out(size_t(n_snapshots * n_ctx));
  std::vector<double> acc(static_cast<size_t>(n_ctx));
  for (int64_t s = 0; s < n_snapshots; ++s) {
    std::fill(acc.begin(), acc.end(), 0.0);
    for (int64_t e = 0; e < n_eval; ++e) {
      const float* row = loss.data() + (s * n_eval + e) * n_ctx;
      for (int64_t i = 0; i < n_ctx; ++i) acc[size_t(i)] += row[i];
    }
    for (int64_t i = 0; i < n_ctx; ++i)
      out[size_t(s * n_ctx + i)] = float(acc[size_t(i)] / double(n_eval));
  }
  return out;
}

IclResult compute_icl(std::span<const float> loss, int64_t n_snapshots, int64_t n_eval,
                      int64_t n_ctx, std::span<const int64_t> steps,
                      std::span<const int64_t> tokens, const IclOptions& options) {
  check_loss_shape(loss, n_snapshots, n_eval, n_ctx);
  check_axes(steps, tokens, n_snapshots);
  CS_CHECK(std::isfinite(options.min_drop_nats) && options.min_drop_nats >= 0,
           "minimum drop must be >= 0 nats, got " << options.min_drop_nats);

  IclResult r;
  r.positions = resolve_positions(n_ctx, options);
  r.steps.assign(steps.begin(), steps.end());
  r.tokens.assign(tokens.begin(), tokens.end());
  r.sigma_snapshots = options.sigma_snapshots;
  r.min_drop_nats = options.min_drop_nats;
  r.search_from_step = options.search_from_step;
  r.n_eval = n_eval;
  r.n_ctx = n_ctx;

  for (int64_t s = 0; s < n_snapshots; ++s) score_snapshot(loss, s, n_eval, n_ctx, r);

  r.icl_score_smoothed = gaussian_smooth(r.icl_score, options.sigma_snapshots);

  // Token counts increase, so the snapshots with tokens == 0 (at most one) come first.
  size_t first = 0;
  while (first < tokens.size() && tokens[first] == 0) ++first;
  log_token_derivatives(tokens, first, r);

  size_t search = first;
  while (search < steps.size() && steps[search] < options.search_from_step) ++search;
  if (search < steps.size()) r.phase_change = find_phase_change(r, search);
  return r;
}

}  // namespace cs::analysis
