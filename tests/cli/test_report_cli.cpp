// `report` end to end on the fixed tiny run: one HTML file that holds every section, draws every
// picture inline and fetches nothing; bad input is one line, exit code 1 and no page.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "../common/run_cli.h"
#include "../io/temp_dir.h"
#include "io/atomic_file.h"

namespace cs {
namespace {

namespace fs = std::filesystem;

std::string golden_copy(const test::TempDir& tmp) {
  const std::string run = tmp / "run";
  fs::copy(fs::path(CS_TEST_DATA) / "golden" / "run", run, fs::copy_options::recursive);
  return run;
}

// One line of output: the error, and nothing else.
void expect_one_line_error(const test::CliResult& r) {
  EXPECT_EQ(r.code, 1) << r.output;
  std::string out = r.output;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  EXPECT_EQ(out.find('\n'), std::string::npos) << r.output;
  EXPECT_EQ(out.rfind("circuitscope: error: ", 0), 0u) << r.output;
}

TEST(ReportCli, WritesOneSelfContainedPage) {
  test::TempDir tmp;
  const std::string run = golden_copy(tmp);
  const auto r = test::run_cli("report " + run + " --threads 1");
  ASSERT_EQ(r.code, 0) << r.output;
  const std::string page = run + "/analysis/report.html";
  EXPECT_NE(r.output.find("report: " + page), std::string::npos) << r.output;
  ASSERT_TRUE(fs::exists(page));
  const std::string html = io::read_file(page);

  for (const char* heading :
       {"Findings", "Training loss", "Loss by token position over training", "In-context learning score", "Heads",
        "Heads over training", "OV and QK eigenvalues", "Induction: OV copying against the induction QK score",
        "Composition", "Path expansion", "Ablations", "Skip-trigrams", "Probes"})
    EXPECT_NE(html.find("<h2>" + std::string(heading) + "</h2>"), std::string::npos) << heading;
  // The tiny run has no induction head and no phase change, and says so.
  EXPECT_NE(html.find("No phase change"), std::string::npos);
  EXPECT_NE(html.find("No head reaches the induction threshold"), std::string::npos);
  // Everything it has is drawn: no section reports a missing analysis.
  EXPECT_EQ(html.find("class=\"missing\""), std::string::npos);

  // Every picture is inline and has content.
  int pictures = 0;
  const std::string inline_svg = "src=\"data:image/svg+xml;base64,";
  for (size_t at = html.find("<img"); at != std::string::npos; at = html.find("<img", at + 1)) {
    const size_t end = html.find('>', at), src = html.find(inline_svg, at);
    ASSERT_LT(src, end) << "a picture that is not inline: " << html.substr(at, 200);
    const size_t data = src + inline_svg.size(), quote = html.find('"', data);
    EXPECT_GT(quote - data, 1000u) << "an empty picture";
    EXPECT_EQ(html.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=", data), quote);
    ++pictures;
  }
  EXPECT_GE(pictures, 12);
  for (size_t at = html.find("<svg"); at != std::string::npos; at = html.find("<svg", at + 1))
    EXPECT_NE(html.compare(at, 12, "<svg></svg>"), 0);
  // Offline: nothing is fetched.
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);

  // --out puts it elsewhere, folders made as needed.
  const std::string out = tmp / "pages/tiny.html";
  const auto again = test::run_cli("report " + run + " --threads 1 --last-only --out " + out);
  ASSERT_EQ(again.code, 0) << again.output;
  EXPECT_TRUE(fs::exists(out));
  // Scored at the snapshot only, it shows the heads over training that the first report left in
  // the run, and says where they came from; the ablation sweep it does not have.
  const std::string last_only = io::read_file(out);
  EXPECT_NE(last_only.find("Scores read from analysis/heads_over_training.json"), std::string::npos);
  EXPECT_NE(last_only.find("No ablation over training: the heads were ablated at one snapshot only."),
            std::string::npos);
}

TEST(ReportCli, BadInputIsOneLineAndWritesNothing) {
  test::TempDir tmp;
  fs::create_directories(tmp / "empty");
  const std::string out = tmp / "report.html";
  const auto not_run = test::run_cli("report " + (tmp / "empty") + " --out " + out);
  expect_one_line_error(not_run);
  EXPECT_NE(not_run.output.find("is not a run folder"), std::string::npos) << not_run.output;
  EXPECT_FALSE(fs::exists(out));

  const auto nowhere = test::run_cli("report " + (tmp / "nowhere") + " --out " + out);
  expect_one_line_error(nowhere);
  EXPECT_FALSE(fs::exists(out));

  const std::string run = golden_copy(tmp);
  const auto snapshot = test::run_cli("report " + run + " --snapshot 12345 --out " + out);
  expect_one_line_error(snapshot);
  EXPECT_NE(snapshot.output.find("12345"), std::string::npos) << snapshot.output;
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(fs::exists(run + "/analysis/report.html"));
}

}  // namespace
}  // namespace cs
