#include "analysis/loss_bump.h"

#include <algorithm>
#include <cmath>

#include "analysis/smoothing.h"
#include "core/error.h"

namespace cs::analysis {

namespace {

struct Binned {
  std::vector<double> log_tokens, loss;
  double width = 0;  // of one bin, in ln(tokens)
};

Binned bin_by_log_tokens(std::span<const int64_t> tokens, std::span<const double> loss,
                         int64_t bins) {
  double lo = INFINITY, hi = -INFINITY;
  for (size_t i = 0; i < tokens.size(); ++i) {
    CS_CHECK(tokens[i] >= 0, "training-loss point " << i << " has negative tokens " << tokens[i]);
    CS_CHECK(std::isfinite(loss[i]),
             "training loss is not finite (" << loss[i] << ") at point " << i);
    if (tokens[i] == 0) continue;
    lo = std::min(lo, std::log(double(tokens[i])));
    hi = std::max(hi, std::log(double(tokens[i])));
  }
  CS_CHECK(hi > lo, "the training-loss curve needs points at two or more different token counts");
  std::vector<double> sum_x(size_t(bins), 0.0), sum_y(size_t(bins), 0.0), count(size_t(bins), 0.0);
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i] == 0) continue;
    const double x = std::log(double(tokens[i]));
    const auto b = std::min<int64_t>(bins - 1, int64_t((x - lo) / (hi - lo) * double(bins)));
    sum_x[size_t(b)] += x;
    sum_y[size_t(b)] += loss[i];
    count[size_t(b)] += 1;
  }
  Binned out;
  out.width = (hi - lo) / double(bins);
  for (size_t b = 0; b < size_t(bins); ++b) {
    if (count[b] == 0) continue;
    out.log_tokens.push_back(sum_x[b] / count[b]);
    out.loss.push_back(sum_y[b] / count[b]);
  }
  return out;
}

}  // namespace

LossCurveAnalysis analyze_loss_curve(std::span<const int64_t> tokens, std::span<const double> loss,
                                     const std::optional<PhaseChange>& phase_change,
                                     const LossCurveOptions& options) {
  CS_CHECK(tokens.size() == loss.size(), "training-loss curve has "
                                             << tokens.size() << " token counts but " << loss.size()
                                             << " losses");
  CS_CHECK(options.bins >= 3, "loss-curve bins must be at least 3, got " << options.bins);
  CS_CHECK(options.tolerance >= 0, "loss-curve tolerance must be >= 0, got " << options.tolerance);
  const Binned binned = bin_by_log_tokens(tokens, loss, options.bins);
  CS_CHECK(binned.loss.size() >= 3,
           "the training-loss curve needs points in at least 3 log-token "
           "bins for a second derivative, got "
               << binned.loss.size());

  LossCurveAnalysis r;
  r.options = options;
  r.loss = binned.loss;
  for (double x : binned.log_tokens) r.tokens.push_back(std::exp(x));
  r.loss_smoothed =
      gaussian_smooth(binned.log_tokens, binned.loss, options.sigma_bins * binned.width);
  r.d_loss_d_logtokens = derivative(binned.log_tokens, r.loss_smoothed);
  r.d2_loss_d_logtokens2 = second_derivative(binned.log_tokens, r.loss_smoothed);

  double scale = 0;
  for (double d : r.d2_loss_d_logtokens2) scale = std::max(scale, std::abs(d));
  // The absolute floor keeps rounding noise on a perfectly straight curve out.
  const double cut = -std::max(options.tolerance * scale, 1e-9);
  const std::vector<double>& d2 = r.d2_loss_d_logtokens2;
  for (size_t i = 0; i < d2.size();) {
    if (!(d2[i] < cut)) {
      ++i;
      continue;
    }
    NonConvexSpan span;
    span.start_tokens = r.tokens[i];
    span.min_d2 = d2[i];
    size_t j = i;
    for (; j < d2.size() && d2[j] < cut; ++j) span.min_d2 = std::min(span.min_d2, d2[j]);
    span.end_tokens = r.tokens[j - 1];
    if (phase_change)
      span.overlaps_phase_change = span.start_tokens <= double(phase_change->end_tokens) &&
                                   span.end_tokens >= double(phase_change->start_tokens);
    r.non_convex_spans.push_back(span);
    i = j;
  }
  for (const NonConvexSpan& s : r.non_convex_spans)
    if (s.overlaps_phase_change && (!r.bump || s.min_d2 < r.bump->min_d2)) r.bump = s;
  return r;
}

nlohmann::ordered_json LossCurveAnalysis::to_json() const {
  auto span_json = [](const NonConvexSpan& s) {
    return nlohmann::ordered_json{{"start_tokens", s.start_tokens},
                                  {"end_tokens", s.end_tokens},
                                  {"min_d2", s.min_d2},
                                  {"overlaps_phase_change", s.overlaps_phase_change}};
  };
  nlohmann::ordered_json spans = nlohmann::ordered_json::array();
  for (const NonConvexSpan& s : non_convex_spans) spans.push_back(span_json(s));
  return {{"tokens", tokens},
          {"loss", loss},
          {"loss_smoothed", loss_smoothed},
          {"d_loss_d_logtokens", d_loss_d_logtokens},
          {"d2_loss_d_logtokens2", d2_loss_d_logtokens2},
          {"non_convex_spans", spans},
          {"bump", bump ? span_json(*bump) : nlohmann::ordered_json(nullptr)},
          {"parameters",
           {{"bins", options.bins},
            {"sigma_bins", options.sigma_bins},
            {"tolerance", options.tolerance},
            {"binning",
             "mean of loss and of ln(tokens) in bins evenly spaced in ln(tokens); "
             "points with tokens == 0 left out; empty bins dropped"}}}};
}

}  // namespace cs::analysis
