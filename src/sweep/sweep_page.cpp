#include "sweep/sweep_page.h"

#include <filesystem>

#include "core/format.h"
#include "report/html_page.h"
#include "report/sentences.h"
#include "sweep/sweep_dir.h"
#include "train/progress.h"

namespace cs::sweep {

namespace {

using report::html::esc;
using report::html::missing;
using report::html::note;
using report::html::picture;

std::string section(const char* id, const char* title) {
  return format("<section id=\"%s\">\n<h2>%s</h2>\n", id, esc(title).c_str());
}

std::string header(const Sweep& s, size_t measured) {
  const std::string name = std::filesystem::path(s.root).filename().string();
  std::string grid;
  for (const auto& [key, value] : s.grid.items())
    if (key != "train") grid += (grid.empty() ? "" : "; ") + key + " " + value.dump();
  return "<header>\n<h1>" + esc("Sweep " + name) + "</h1>\n<p class=\"sub\">" +
         esc(format("%zu runs, %zu finished and measured; planned %s. Grid: ", s.runs.size(), measured,
                    s.created.c_str()) +
             grid + ".") +
         "</p>\n<nav><a href=\"#findings\">Findings</a> <a href=\"#runs\">Runs</a> <a href=\"#icl\">ICL over "
         "training</a> <a href=\"#loss-slope\">Loss slope</a> <a href=\"#induction\">Induction heads by layer</a> "
         "<a href=\"#records\">Training records</a></nav>\n</header>\n";
}

std::string findings_section(const std::vector<std::string>& findings) {
  std::string html = section("findings", "Findings") + "<ul class=\"findings\">\n";
  for (const std::string& f : findings) html += "<li>" + esc(f) + "</li>\n";
  return html + "</ul>\n</section>\n";
}

std::string table_section(const SweepTable& t) {
  std::string html = section("runs", "Runs") + "<table>\n<tr>";
  for (size_t c = 0; c < t.header.size(); ++c)
    html += (c == 0 ? "<th class=\"l\">" : "<th>") + esc(t.header[c]) + "</th>";
  html += "</tr>\n";
  for (size_t r = 0; r < t.rows.size(); ++r) {
    html += "<tr>";
    for (size_t c = 0; c < t.rows[r].size(); ++c) {
      if (!t.notes[r].empty() && c == t.settings) {
        html += format("<td class=\"l\" colspan=\"%zu\">", t.header.size() - t.settings) + esc(t.notes[r]) + "</td>";
        break;
      }
      html += (c == 0 ? "<td class=\"l\">" : "<td>") + esc(t.rows[r][c]) + "</td>";
    }
    html += "</tr>\n";
  }
  return html + "</table>\n" +
         note(
             "Final loss: the evaluation loss of the last snapshot, mean over sequences and positions. ICL score and "
             "phase-change rule: docs/icl.md; drop: how far the smoothed score fell across the window. Induction "
             "heads: prefix matching at the last snapshot at or above the threshold (docs/evaluators.md); the "
             "crossing lies between the two snapshots given. ΔICL: the ICL score with those heads' results zeroed "
             "together minus without.") +
         "</section>\n";
}

// A picture's section: what it shows and where its numbers are, or why it is missing.
std::string picture_section(const char* id, const char* title, const std::string& about, File data, File array,
                            const std::string& picture_html, const std::vector<std::string>& notes) {
  std::string html = section(id, title);
  if (picture_html.empty())
    html += missing("No picture: " + report::joined(notes, "; ") + ".");
  else
    html += note(about + " Data: " + file_name(data) + ", " + file_name(array) + ".") + picture_html;
  return html + "</section>\n";
}

std::string pictures_sections(const SweepPictures& p) {
  return picture_section("icl", "In-context learning over training",
                         "Every run's ICL score over training tokens (log axis), ±1 standard error, each run's "
                         "phase-change window shaded in its colour.",
                         File::sweep_icl, File::sweep_icl_array, p.icl ? picture(*p.icl, "ICL score of every run") : "",
                         p.notes) +
         picture_section("loss-slope", "How fast the training loss falls",
                         "d loss / d ln(tokens) of every run's binned, smoothed training loss, each run's "
                         "phase-change window shaded: whether its loss falls faster or slower there.",
                         File::sweep_loss_slope, File::sweep_loss_slope_array,
                         p.loss_slope ? picture(*p.loss_slope, "loss slope of every run") : "", p.notes) +
         picture_section(
             "induction", "Where the induction heads sit",
             "Induction heads per layer of each run at its last snapshot.", File::sweep_induction,
             File::sweep_induction_array,
             p.induction ? picture(report::induction_layers_heatmap(*p.induction), "induction heads by layer") : "",
             p.notes);
}

std::string records_section(const Sweep& s, const SweepUsage& usage) {
  std::string html =
      section("records", "Training records") +
      "<table>\n<tr><th class=\"l\">run</th><th>status</th><th>sessions</th><th>threads</th><th>wall</th>"
      "<th>CPU</th><th>tokens/s</th><th class=\"l\">note</th></tr>\n";
  for (const Run& r : s.runs)
    html +=
        "<tr><td class=\"l\">" + esc(r.name) + "</td><td>" + esc(r.status) + "</td>" +
        format("<td>%d</td><td>%d</td><td>%s</td><td>%s</td><td>%.0f</td>", r.sessions, r.threads,
               format_duration(r.wall_seconds).c_str(), format_duration(r.cpu_seconds).c_str(), r.tokens_per_second) +
        "<td class=\"l\">" + esc(r.note) + "</td></tr>\n";
  return html + "</table>\n" +
         note(
             "What `circuitscope sweep run` recorded, summed over its sessions; runs trained from `sweep commands` "
             "elsewhere have no record here.") +
         note(usage_sentence(usage)) + "</section>\n";
}

}  // namespace

std::string sweep_page(const Sweep& s, const std::vector<std::string>& findings, const SweepTable& table,
                       const SweepPictures& pictures, const SweepUsage& usage) {
  size_t measured = 0;
  for (const std::string& n : table.notes) measured += n.empty();
  const std::string name = std::filesystem::path(s.root).filename().string();
  return report::html::page_open("Sweep " + name + " — circuitscope") +
         header(s, measured) + findings_section(findings) + table_section(table) + pictures_sections(pictures) +
         records_section(s, usage) +
         // The folder's name, not its path: the page may be shipped or moved.
         report::html::page_close("circuitscope sweep report of " + name +
                                  ". The numbers behind each picture lie "
                                  "beside it in the sweep folder; each run's own analyses are in its " +
                                  file_name(File::analysis_dir) + "/ folder, and `circuitscope report " + name +
                                  "/RUN` makes a run's full page. Definitions: docs/sweep.md, docs/icl.md, "
                                  "docs/evaluators.md.");
}

}  // namespace cs::sweep
