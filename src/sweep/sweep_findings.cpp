#include "sweep/sweep_findings.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <optional>
#include <set>

#include "core/format.h"
#include "report/sentences.h"

namespace cs::sweep {

namespace {

using report::listed;
using report::plural;
using report::tokens_text;

// The measured runs that differ only in their seed.
struct Group {
  int layers = 0;
  bool mlp = false;
  std::vector<std::pair<std::string, std::string>> axes;
  std::vector<const RunResult*> runs;
};
using Groups = std::vector<const Group*>;

std::vector<Group> groups_of(const std::vector<RunResult>& results) {
  std::vector<Group> groups;
  for (const RunResult& r : results) {
    if (!r.measured) continue;
    auto g = std::find_if(groups.begin(), groups.end(), [&](const Group& x) {
      return x.layers == r.run->layers && x.mlp == r.run->mlp && x.axes == r.run->axes;
    });
    if (g == groups.end()) g = groups.insert(groups.end(), {r.run->layers, r.run->mlp, r.run->axes, {}});
    g->runs.push_back(&r);
  }
  return groups;
}

// Whether a label must name the kind of model (with MLP blocks or not) and the other axes: only
// when the sweep varies them.
struct Naming {
  bool kinds = false, axes = false;
};

// "1-layer", "1- and 2-layer", "1-, 2- and 3-layer".
std::string depths_text(const std::vector<int>& depths) {
  std::vector<std::string> parts;
  for (size_t i = 0; i < depths.size(); ++i)
    parts.push_back(format(i + 1 < depths.size() ? "%d-" : "%d-layer", depths[i]));
  return listed(parts);
}

std::string axes_text(const std::vector<std::pair<std::string, std::string>>& axes) {
  std::vector<std::string> parts;
  for (const auto& [flag, value] : axes) parts.push_back(flag.substr(2) + " " + value);
  return report::joined(parts, ", ");
}

// "the 2- and 3-layer models": groups of one kind and the same other axes are named together.
std::string label(const Groups& groups, const Naming& n) {
  std::vector<std::string> parts;
  std::vector<bool> done(groups.size(), false);
  for (size_t i = 0; i < groups.size(); ++i) {
    if (done[i]) continue;
    std::vector<int> depths;
    for (size_t k = i; k < groups.size(); ++k)
      if (!done[k] && groups[k]->mlp == groups[i]->mlp && groups[k]->axes == groups[i]->axes) {
        depths.push_back(groups[k]->layers);
        done[k] = true;
      }
    std::string part =
        "the " + depths_text(depths) + (n.kinds ? groups[i]->mlp ? " MLP" : " attention-only" : "") + " models";
    if (n.axes && !groups[i]->axes.empty()) part += " (" + axes_text(groups[i]->axes) + ")";
    parts.push_back(part);
  }
  return listed(parts);
}

size_t with_phase_change(const Group& g) {
  return size_t(
      std::count_if(g.runs.begin(), g.runs.end(), [](const RunResult* r) { return bool(r->icl().phase_change); }));
}

// Where the windows of these groups' runs lie, and how far the score fell across them.
std::string windows_text(const Groups& groups) {
  double start = INFINITY, end = 0, lo = INFINITY, hi = -INFINITY;
  for (const Group* g : groups)
    for (const RunResult* r : g->runs)
      if (const auto& p = r->icl().phase_change) {
        start = std::min(start, double(p->start_tokens)), end = std::max(end, double(p->end_tokens));
        lo = std::min(lo, -p->delta_nats), hi = std::max(hi, -p->delta_nats);
      }
  return format("between %s and %s training tokens, the smoothed ICL score falling by %s nats across the window",
                tokens_text(start).c_str(), tokens_text(end).c_str(), report::range_text(lo, hi, "%.2f").c_str());
}

std::string capitalized(std::string s) {
  if (!s.empty()) s[0] = char(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

std::string phase_sentence(const std::vector<Group>& groups, const Naming& n, double min_drop) {
  Groups all, none, some;
  for (const Group& g : groups) {
    const size_t k = with_phase_change(g);
    (k == g.runs.size() ? all : k == 0 ? none : some).push_back(&g);
  }
  if (all.empty() && some.empty())
    return format(
        "No run went through a phase change by the rule of docs/icl.md (the smoothed ICL score falling by at "
        "least %.2f nats across its steepest stretch).",
        min_drop);
  std::vector<std::string> parts;
  if (!all.empty())
    parts.push_back(capitalized(label(all, n)) + " went through a phase change " + windows_text(all) +
                    (none.empty() ? "" : "; " + label(none, n) + " did not") + ".");
  for (const Group* g : some)
    parts.push_back(format("%zu of the %zu runs of %s went through a phase change, %s.", with_phase_change(*g),
                           g->runs.size(), label({g}, n).c_str(), windows_text({g}).c_str()));
  if (all.empty() && !none.empty()) parts.push_back(capitalized(label(none, n)) + " did not.");
  return report::joined(parts, " ");
}

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? NAN : s / double(v.size());
}

std::string icl_sentence(const std::vector<Group>& groups, const Naming& n) {
  std::vector<std::string> parts;
  for (const Group& g : groups) {
    std::vector<double> scores;
    for (const RunResult* r : g.runs) scores.push_back(r->icl().icl_score.back());
    parts.push_back(report::score_text(mean(scores)) + " for " + label({&g}, n));
  }
  return "At the end of training the ICL score was " + listed(parts) +
         " (nats, the mean over seeds; negative: later tokens are predicted better than early ones).";
}

std::string induction_sentence(const std::vector<Group>& groups, const Naming& n, double threshold) {
  std::vector<std::string> parts;
  Groups without;
  for (const Group& g : groups) {
    std::set<int> layers;
    size_t heads = 0, runs_with = 0;
    for (const RunResult* r : g.runs) {
      for (const InductionHead& h : r->induction) layers.insert(h.layer);
      heads += r->induction.size();
      runs_with += !r->induction.empty();
    }
    if (heads == 0) {
      without.push_back(&g);
      continue;
    }
    std::vector<std::string> names;
    for (int l : layers) names.push_back(std::to_string(l));
    parts.push_back(
        format("in %s %s of %s (%.3g per run%s)", plural(layers.size(), "layer", "layers").c_str(),
               listed(names).c_str(), label({&g}, n).c_str(), double(heads) / double(g.runs.size()),
               runs_with < g.runs.size() ? format(", in %zu of %zu runs", runs_with, g.runs.size()).c_str() : ""));
  }
  const std::string rule = format("Induction heads (prefix matching at least %.2g at the last snapshot)", threshold);
  if (parts.empty()) return rule + " formed in no run.";
  return rule + " sit " + listed(parts) + (without.empty() ? "" : "; " + label(without, n) + " have none") + ".";
}

// Whether a run's first induction head crossed the threshold inside its phase-change window.
std::optional<bool> formed_in_window(const RunResult& r) {
  const auto& p = r.icl().phase_change;
  const InductionHead* first = nullptr;
  for (const InductionHead& h : r.induction)
    if (h.crossed && (!first || h.crossed->second < first->crossed->second)) first = &h;
  if (!p || !first) return std::nullopt;
  return first->crossed->second >= p->start_tokens && first->crossed->first <= p->end_tokens;
}

std::string formation_sentence(const std::vector<RunResult>& results, double threshold) {
  size_t both = 0, inside = 0;
  for (const RunResult& r : results)
    if (r.measured)
      if (const auto in = formed_in_window(r)) both += 1, inside += *in;
  if (both == 0) return "";
  return format(
      "In %zu of %zu runs with both a phase change and induction heads, the first of them reached prefix "
      "matching %.2g inside the phase-change window.",
      inside, both, threshold);
}

std::string ablation_sentence(const std::vector<RunResult>& results) {
  std::vector<double> deltas;
  for (const RunResult& r : results)
    if (r.measured && r.delta_icl()) deltas.push_back(*r.delta_icl());
  if (deltas.empty()) return "";
  const auto [lo, hi] = std::minmax_element(deltas.begin(), deltas.end());
  const std::string how = *lo > 0   ? "raised its ICL score by " + report::range_text(*lo, *hi, "%.2f")
                          : *hi < 0 ? "lowered its ICL score by " + report::range_text(-*hi, -*lo, "%.2f")
                                    : "changed its ICL score by " + report::range_text(*lo, *hi, "%+.2f");
  return format("Ablating a run's induction heads together (their results zeroed, patterns kept) %s nats (%zu %s).",
                how.c_str(), deltas.size(), plural(deltas.size(), "run", "runs").c_str());
}

}  // namespace

std::vector<std::string> sweep_findings(const std::vector<RunResult>& results) {
  const std::vector<Group> groups = groups_of(results);
  std::vector<std::string> out;
  if (!groups.empty()) {
    Naming n;
    double threshold = 0, min_drop = 0;
    for (const Group& g : groups) {
      n.kinds = n.kinds || g.mlp != groups[0].mlp;
      n.axes = n.axes || g.axes != groups[0].axes;
      threshold = std::max(threshold, g.runs[0]->threshold);
      min_drop = g.runs[0]->icl().min_drop_nats;
    }
    for (const std::string& s :
         {phase_sentence(groups, n, min_drop), icl_sentence(groups, n), induction_sentence(groups, n, threshold),
          formation_sentence(results, threshold), ablation_sentence(results)})
      if (!s.empty()) out.push_back(report::typeset_minus(s));
  }
  std::vector<std::string> left;
  for (const RunResult& r : results)
    if (!r.measured) left.push_back(r.run->name + " (" + r.note + ")");
  if (!left.empty())
    out.push_back(format("%zu of %zu runs %s not in these numbers: ", left.size(), results.size(),
                         plural(left.size(), "is", "are").c_str()) +
                  listed(left) + ".");
  return out;
}

}  // namespace cs::sweep
