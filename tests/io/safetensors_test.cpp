#include "io/safetensors.h"

#include <gtest/gtest.h>

#include <cstring>

#include "core/error.h"
#include "io/atomic_file.h"
#include "temp_dir.h"

namespace {

using cs::io::SafeTensors;
using cs::io::SafeTensorsWriter;

// Builds a file from a literal header, for corruption cases the writer would never produce.
std::string make_file(const std::string& header, const std::string& data) {
  const uint64_t n = header.size();
  return std::string(reinterpret_cast<const char*>(&n), 8) + header + data;
}

std::string open_error(const std::string& path) {
  try {
    SafeTensors::open(path);
  } catch (const cs::Error& e) {
    return e.what();
  }
  return "";
}

TEST(SafeTensors, RoundTripWithMetadata) {
  cs::test::TempDir tmp;
  const float w[6] = {1.5f, -2, 3, 4, 5, 6e-3f};
  const int64_t ids[3] = {0, -1, 1LL << 33};
  const double d[2] = {0.1, 1e300};
  SafeTensorsWriter wr;
  wr.set_metadata("run_id", "abc123");
  wr.set_metadata("step", "42");
  wr.add_f32("blocks.0.attn.W_Q", {2, 3}, w);
  wr.add_i64("ids", {3}, ids);
  wr.add_f64("a.double", {2}, d);
  wr.add_f16("half", {2, 3}, w);
  const uint8_t bytes[3] = {1, 2, 255};
  wr.add("raw", "U8", {3}, bytes, 3);
  wr.write(tmp / "snap.safetensors");

  SafeTensors st = SafeTensors::open(tmp / "snap.safetensors");
  EXPECT_EQ(st.metadata().at("run_id"), "abc123");
  EXPECT_EQ(st.metadata().at("step"), "42");
  EXPECT_EQ(st.names(),
            (std::vector<std::string>{"a.double", "blocks.0.attn.W_Q", "half", "ids", "raw"}));
  EXPECT_TRUE(st.has("ids"));
  EXPECT_FALSE(st.has("W_K"));
  const auto& e = st.get("blocks.0.attn.W_Q");
  EXPECT_EQ(e.dtype, "F32");
  EXPECT_EQ(e.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(e.nbytes, 24u);
  EXPECT_EQ(std::vector<float>(w, w + 6), st.get_f32("blocks.0.attn.W_Q", {2, 3}));
  EXPECT_EQ(st.get_f64("blocks.0.attn.W_Q")[0], 1.5);
  EXPECT_EQ(st.get_i64("ids", {3}), (std::vector<int64_t>{0, -1, 1LL << 33}));
  EXPECT_EQ(st.get_f64("a.double", {2}), (std::vector<double>{0.1, 1e300}));
  EXPECT_EQ(st.get_f32("a.double")[0], 0.1f);
  const std::vector<float> h = st.get_f32("half", {2, 3});
  EXPECT_EQ(st.get("half").dtype, "F16");
  EXPECT_EQ(h[0], 1.5f);
  EXPECT_EQ(h[1], -2.0f);
  EXPECT_NEAR(h[5], 6e-3f, 3e-6f);
  EXPECT_EQ(st.get_i32("raw", {3}), (std::vector<int32_t>{1, 2, 255}));
  // I64 values beyond int32 are refused rather than wrapped.
  EXPECT_THROW(st.get_i32("ids"), cs::Error);
  EXPECT_THROW(st.get_i32("half"), cs::Error);
  EXPECT_THROW(st.get_f32("ids"), cs::Error);
}

TEST(SafeTensors, LayoutFollowsTheFormat) {
  SafeTensorsWriter wr;
  const float b[1] = {2.0f};
  const float a[2] = {1.0f, -1.0f};
  wr.add_f32("b", {1}, b);
  wr.add_f32("a", {2}, a);
  const std::string f = wr.serialize();
  uint64_t n;
  std::memcpy(&n, f.data(), 8);
  EXPECT_EQ(n % 8, 0u);
  ASSERT_EQ(f.size(), 8 + n + 12);
  const std::string header = f.substr(8, n);
  // Sorted by name, data in the same order, header padded with trailing spaces.
  EXPECT_EQ(header.substr(0, header.find_last_not_of(' ') + 1),
            R"({"a":{"data_offsets":[0,8],"dtype":"F32","shape":[2]},)"
            R"("b":{"data_offsets":[8,12],"dtype":"F32","shape":[1]}})");
  float back[3];
  std::memcpy(back, f.data() + 8 + n, 12);
  EXPECT_EQ(back[0], 1.0f);
  EXPECT_EQ(back[1], -1.0f);
  EXPECT_EQ(back[2], 2.0f);
}

TEST(SafeTensors, ShapeMismatchNamesTensorAndBothShapes) {
  cs::test::TempDir tmp;
  const float w[6] = {};
  SafeTensorsWriter wr;
  wr.add_f32("embed.W_E", {2, 3}, w);
  wr.write(tmp / "s.safetensors");
  SafeTensors st = SafeTensors::open(tmp / "s.safetensors");
  try {
    st.get_f32("embed.W_E", {3, 2});
    FAIL();
  } catch (const cs::Error& e) {
    EXPECT_NE(std::string(e.what()).find("'embed.W_E' has shape [2, 3], expected [3, 2]"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(st.get("missing"), cs::Error);
}

TEST(SafeTensors, WriterRejectsBadInput) {
  SafeTensorsWriter wr;
  const float w[4] = {};
  wr.add_f32("x", {4}, w);
  EXPECT_THROW(wr.add_f32("x", {4}, w), cs::Error);
  EXPECT_THROW(wr.add("y", "F32", {3}, w, 16), cs::Error);
  EXPECT_THROW(wr.add("y", "Q4", {4}, w, 16), cs::Error);
  EXPECT_THROW(wr.add("__metadata__", "F32", {4}, w, 16), cs::Error);
}

struct Corruption {
  const char* label;
  std::string bytes;
  const char* expect;  // substring of the error
};

TEST(SafeTensors, EveryCorruptionGetsAOneLineError) {
  cs::test::TempDir tmp;
  const std::string data8(8, '\0');
  const std::vector<Corruption> cases = {
      {"empty", "", "shorter than its 8-byte header size"},
      {"short", "abc", "shorter than its 8-byte header size"},
      {"header past end", std::string("\x64\0\0\0\0\0\0\0", 8) + "{}", "runs past the end"},
      {"huge header", std::string("\xff\xff\xff\xff\xff\xff\xff\x7f", 8) + "{}", "runs past the end"},
      {"not json", make_file("{not json}", ""), "not valid JSON"},
      {"not object", make_file("[1, 2]  ", ""), "does not start with a JSON object"},
      {"unknown dtype",
       make_file(R"({"t":{"dtype":"F8","shape":[2],"data_offsets":[0,8]}})", data8),
       "tensor 't' has unknown dtype 'F8'"},
      {"size mismatch",
       make_file(R"({"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", data8),
       "tensor 't' has shape [3] of F32 (12 bytes) but data_offsets [0, 8] span 8 bytes"},
      {"outside", make_file(R"({"t":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", data8),
       "tensor 't' has data_offsets [0, 16] outside the 8-byte data area"},
      {"reversed", make_file(R"({"t":{"dtype":"U8","shape":[0],"data_offsets":[8,0]}})", data8),
       "end before they begin"},
      {"overlap",
       make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                 R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                 data8),
       "tensor 'b' bytes [4, 8) overlap tensor 'a' bytes [0, 8)"},
      {"negative dim",
       make_file(R"({"t":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", data8),
       "shape entry that is not a non-negative integer"},
      {"missing field", make_file(R"({"t":{"dtype":"F32","shape":[2]}})", data8),
       "tensor 't' needs dtype, shape and data_offsets"},
      {"bad offsets", make_file(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", data8),
       "data_offsets that are not two non-negative integers"},
      {"metadata not strings", make_file(R"({"__metadata__":{"step":3}})", ""),
       "__metadata__ value for 'step' is not a string"},
  };
  for (const auto& c : cases) {
    const std::string path = tmp / (std::string(c.label) + ".safetensors");
    cs::test::write_bytes(path, c.bytes);
    const std::string err = open_error(path);
    EXPECT_NE(err.find(c.expect), std::string::npos) << c.label << ": got '" << err << "'";
    EXPECT_NE(err.find(path), std::string::npos) << c.label << ": error must name the file";
    EXPECT_EQ(err.find('\n'), std::string::npos) << c.label;
  }
}

TEST(SafeTensors, TruncatedSnapshotIsRefused) {
  cs::test::TempDir tmp;
  std::vector<float> w(100, 1.0f);
  SafeTensorsWriter wr;
  wr.add_f32("unembed.W_U", {10, 10}, w.data());
  wr.write(tmp / "t.safetensors");
  std::string f = cs::io::read_file(tmp / "t.safetensors");
  cs::test::write_bytes(tmp / "t.safetensors", f.substr(0, f.size() - 1));
  EXPECT_NE(open_error(tmp / "t.safetensors").find("outside the 399-byte data area"),
            std::string::npos);
}

TEST(SafeTensors, ZeroSizedTensorsAreFine) {
  cs::test::TempDir tmp;
  SafeTensorsWriter wr;
  wr.add_f32("empty", {0, 4}, nullptr);
  const float one = 1;
  wr.add_f32("scalar", {}, &one);
  wr.write(tmp / "z.safetensors");
  SafeTensors st = SafeTensors::open(tmp / "z.safetensors");
  EXPECT_TRUE(st.get_f32("empty", {0, 4}).empty());
  EXPECT_EQ(st.get_f32("scalar", {}), std::vector<float>{1.0f});
}

}  // namespace
