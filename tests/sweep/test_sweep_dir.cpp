// sweep.json read back as written, and refused with one line naming the file and the field when
// it is missing, cut short or wrong.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "../io/temp_dir.h"
#include "core/error.h"
#include "io/atomic_file.h"
#include "sweep/sweep_dir.h"

namespace cs::sweep {
namespace {

Sweep small_sweep(const std::string& root) {
  PlanRequest q;
  q.out = root;
  q.layers = {1, 2};
  q.train_args = {"--lr", "1e-3,2e-3"};
  Sweep s = make_plan(q, {{"--lr", true}});
  s.root = root;
  s.runs[1].status = "interrupted";
  s.runs[1].sessions = 2;
  s.runs[1].threads = 3;
  s.runs[1].wall_seconds = 12.5;
  s.runs[1].cpu_seconds = 30.25;
  s.runs[1].tokens_per_second = 4000;
  s.runs[1].note = "a note";
  return s;
}

std::string load_error(const std::string& dir) {
  try {
    load_sweep(dir);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(SweepDir, ReadsBackWhatItWrote) {
  test::TempDir tmp;
  const Sweep s = small_sweep(tmp.str());
  save_sweep(s);
  const Sweep back = load_sweep(tmp.str());
  EXPECT_EQ(to_json(back), to_json(s));
  EXPECT_EQ(back.root, tmp.str());
  EXPECT_EQ(back.runs[1].name, "l1-attn-s0-lr2e-3");
  EXPECT_EQ(back.runs[1].axes, (std::vector<std::pair<std::string, std::string>>{{"--lr", "2e-3"}}));
  EXPECT_DOUBLE_EQ(back.runs[1].cpu_seconds, 30.25);
  EXPECT_EQ(sweep_path(back, File::sweep_log, "l2-attn-s0"), tmp / "logs/l2-attn-s0.log");
  EXPECT_EQ(run_dir(back, back.runs[0]), tmp / "l1-attn-s0-lr1e-3");
  // A run not started gets its whole command with absolute paths.
  const auto args = train_args(back, back.runs[0], RunState::fresh, 2);
  EXPECT_EQ(args[1], tmp / "tokens-v1024");
  EXPECT_EQ(args[3], tmp / "l1-attn-s0-lr1e-3");
  EXPECT_EQ(std::vector<std::string>(args.end() - 2, args.end()), (std::vector<std::string>{"--threads", "2"}));
  EXPECT_EQ(train_args(back, back.runs[0], RunState::resumable, 2),
            (std::vector<std::string>{"--out", tmp / "l1-attn-s0-lr1e-3", "--resume"}));
  EXPECT_EQ(train_args(back, back.runs[0], RunState::restart, 0).back(), "--force");
  EXPECT_TRUE(train_args(back, back.runs[0], RunState::finished, 2).empty());
  EXPECT_EQ(run_state(back, back.runs[0]), RunState::fresh);
}

TEST(SweepDir, RefusesAMissingCutOrWrongPlanWithOneLine) {
  test::TempDir tmp;
  EXPECT_EQ(
      load_error(tmp / "nowhere"),
      tmp / "nowhere" + " is not a folder (make a sweep with `circuitscope sweep plan --out " + tmp / "nowhere" + "`)");
  EXPECT_EQ(load_error(tmp.str()), tmp.str() +
                                       " holds no sweep (sweep.json is missing; `circuitscope sweep plan --out " +
                                       tmp.str() + "` makes one)");
  const std::string text = to_json(small_sweep(tmp.str())).dump(2);
  test::write_bytes(tmp / "sweep.json", text.substr(0, text.size() / 2));
  EXPECT_NE(load_error(tmp.str()).find(tmp / "sweep.json" + " is not valid JSON (byte "), std::string::npos);
  nlohmann::ordered_json j = to_json(small_sweep(tmp.str()));
  j["runs"][1]["train"] = 5;
  test::write_bytes(tmp / "sweep.json", j.dump());
  EXPECT_EQ(load_error(tmp.str()), tmp / "sweep.json" + ": runs[1]: 'train' is not a list of strings (5)");
  j = to_json(small_sweep(tmp.str()));
  j["runs"][0].erase("steps");
  test::write_bytes(tmp / "sweep.json", j.dump());
  EXPECT_EQ(load_error(tmp.str()), tmp / "sweep.json" + ": runs[0]: 'steps' is missing");
  j = to_json(small_sweep(tmp.str()));
  j["runs"][0]["name"] = "../elsewhere";
  test::write_bytes(tmp / "sweep.json", j.dump());
  EXPECT_EQ(load_error(tmp.str()), tmp / "sweep.json" + ": runs[0]: '../elsewhere' is not a folder name");
  test::write_bytes(tmp / "sweep.json", "{\"runs\": []}");
  EXPECT_EQ(load_error(tmp.str()), tmp / "sweep.json" + " is not a sweep plan (no \"format\": \"circuitscope-sweep\")");
  // A number beyond double's range (found by fuzz_sweep_plan) is bad JSON too, not a crash.
  test::write_bytes(tmp / "sweep.json", "{\"version\": 1095E8035208}");
  EXPECT_NE(load_error(tmp.str()).find(tmp / "sweep.json" + " is not valid JSON (" ), std::string::npos);
}

}  // namespace
}  // namespace cs::sweep
