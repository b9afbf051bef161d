#include "sweep/sweep_table.h"

#include <algorithm>
#include <cmath>

#include "core/format.h"
#include "report/sentences.h"

namespace cs::sweep {

namespace {

using report::tokens_text;
using report::typeset_minus;

std::string heads_cell(const RunResult& r) {
  std::vector<std::string> names;
  for (const InductionHead& h : r.induction) names.push_back(format("%d.%d", h.layer, h.head));
  return names.empty() ? "none" : report::joined(names, " ");
}

std::string crossed_cell(const RunResult& r) {
  std::vector<std::string> parts;
  for (const InductionHead& h : r.induction)
    parts.push_back(format("%d.%d: ", h.layer, h.head) +
                    (h.crossed ? tokens_text(double(h.crossed->first)) + "–" + tokens_text(double(h.crossed->second))
                               : "not over training"));
  return parts.empty() ? "–" : report::joined(parts, "; ");
}

std::vector<std::string> measured_cells(const RunResult& r) {
  const analysis::IclResult& icl = r.icl();
  const double err = icl.icl_stderr.back();
  std::string score = format("%.3f", icl.icl_score.back());
  if (std::isfinite(err)) score += format(" ± %.3f", err);
  const auto& p = icl.phase_change;
  return {format("%.3f", r.final_loss),
          typeset_minus(score),
          p ? tokens_text(double(p->start_tokens)) + "–" + tokens_text(double(p->end_tokens)) : "none",
          p ? format("%.3f", -p->delta_nats) : "–",
          heads_cell(r),
          crossed_cell(r),
          r.delta_icl() ? typeset_minus(format("%+.3f", *r.delta_icl())) : "–"};
}

}  // namespace

SweepTable sweep_table(const Sweep& s, const std::vector<RunResult>& results) {
  SweepTable t;
  t.header = {"run", "layers", "MLP", "seed"};
  // Every axis of the grid, MLP-only ones too (runs without MLP blocks show a dash there).
  if (s.grid.contains("axes") && s.grid["axes"].is_object())
    for (const auto& [flag, values] : s.grid["axes"].items()) t.header.push_back(flag.substr(2));
  t.settings = t.header.size();
  double threshold = 0;
  for (const RunResult& r : results) threshold = std::max(threshold, r.threshold);
  t.header.insert(t.header.end(),
                  {"final loss (eval)", "final ICL ± stderr", "phase change (tokens)", "drop (nats)",
                   "induction heads (layer.head)",
                   format("first reached prefix matching %.2g (tokens)", threshold > 0 ? threshold : 0.3),
                   "ΔICL, induction heads ablated together"});
  for (const RunResult& r : results) {
    std::vector<std::string> row = {r.run->name, std::to_string(r.run->layers), r.run->mlp ? "yes" : "no",
                                    std::to_string(r.run->seed)};
    for (size_t k = 4; k < t.settings; ++k) {
      const auto axis = std::find_if(r.run->axes.begin(), r.run->axes.end(),
                                     [&](const auto& a) { return a.first.substr(2) == t.header[k]; });
      row.push_back(axis == r.run->axes.end() ? "–" : axis->second);
    }
    const std::vector<std::string> cells = r.measured ? measured_cells(r) : std::vector<std::string>(7, "");
    row.insert(row.end(), cells.begin(), cells.end());
    t.rows.push_back(row);
    t.notes.push_back(r.measured ? "" : r.note);
  }
  return t;
}

std::string table_text(const SweepTable& t) {
  // Widths in characters: "±", "–" and "−" are one character but several bytes.
  const auto width = [](const std::string& s) {
    return size_t(
        std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
  };
  std::vector<size_t> w(t.header.size(), 0);
  for (size_t c = 0; c < w.size(); ++c) {
    w[c] = width(t.header[c]);
    for (const auto& row : t.rows) w[c] = std::max(w[c], width(row[c]));
  }
  const auto line = [&](const std::vector<std::string>& cells, const std::string& note) {
    std::string out;
    for (size_t c = 0; c < cells.size(); ++c) {
      if (!note.empty() && c == t.settings) return out + note + "\n";
      out += cells[c] + std::string(w[c] - width(cells[c]) + 2, ' ');
    }
    return out + "\n";
  };
  std::string text = line(t.header, "");
  for (size_t r = 0; r < t.rows.size(); ++r) text += line(t.rows[r], t.notes[r]);
  return text;
}

}  // namespace cs::sweep
