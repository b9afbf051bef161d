// `circuitscope tokenize` end to end: output folder, refusal to overwrite, and one-line errors.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>

#include "../io/temp_dir.h"
#include "data/tokens.h"
#include "text_gen.h"

namespace {

struct Result {
  int code;
  std::string output;  // stdout and stderr
};

Result run(const std::string& args) {
  const std::string cmd = std::string(CS_BINARY) + " tokenize " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST(TokenizeCli, WritesTokensAndRefusesToOverwrite) {
  cs::test::TempDir tmp;
  for (int d = 0; d < 30; ++d)
    cs::test::write_bytes(tmp / ("c/doc" + std::to_string(100 + d) + ".txt"),
                          cs::test::generated_text(uint64_t(d), 3000));
  const std::string args = "--corpus " + (tmp / "c") + " --out " + (tmp / "out") +
                           " --d-vocab 320 --eval-fraction 0.2 --seed 3 --threads 2";
  const Result r = run(args);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("30 documents (24 training, 6 held out)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("d_vocab 320 (sentencepiece)"), std::string::npos) << r.output;
  const auto st = cs::data::TokenStore::open(tmp / "out");
  EXPECT_EQ(st.d_vocab(), 320);
  EXPECT_EQ(st.n_docs(), 30);
  EXPECT_EQ(st.meta()["seed"], 3);

  const Result again = run(args);
  EXPECT_EQ(again.code, 1);
  EXPECT_NE(again.output.find("already holds tokens; pass --force"), std::string::npos) << again.output;
  const Result forced = run(args + " --force --bytes");
  // --bytes and --d-vocab exclude each other.
  EXPECT_NE(forced.code, 0);
  const Result bytes = run("--corpus " + (tmp / "c") + " --out " + (tmp / "out") + " --bytes --force");
  ASSERT_EQ(bytes.code, 0) << bytes.output;
  EXPECT_EQ(cs::data::TokenStore::open(tmp / "out").d_vocab(), 257);
}

TEST(TokenizeCli, BadCorporaFailWithOneLine) {
  cs::test::TempDir tmp;
  std::filesystem::create_directories(tmp / "empty");
  cs::test::write_bytes(tmp / "bad.txt", "ok\n\f\nnot utf8 \xFF\n");
  for (const auto& [corpus, expect] : std::vector<std::pair<std::string, std::string>>{
           {tmp / "empty", "holds no documents"},
           {tmp / "missing", "corpus not found"},
           {tmp / "bad.txt", "invalid UTF-8 at byte 14"}}) {
    const Result r = run("--corpus " + corpus + " --out " + (tmp / "o") + " --bytes");
    EXPECT_EQ(r.code, 1) << corpus;
    EXPECT_NE(r.output.find("circuitscope: error: "), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(expect), std::string::npos) << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
    EXPECT_FALSE(std::filesystem::exists(tmp / "o/tokens.json"));
  }
}

}  // namespace
