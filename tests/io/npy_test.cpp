#include "io/npy.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "core/error.h"
#include "io/atomic_file.h"
#include "io/half.h"
#include "temp_dir.h"

namespace {

using cs::io::NpyArray;

std::string error_of(const std::string& path) {
  try {
    cs::io::read_npy(path);
  } catch (const cs::Error& e) {
    return e.what();
  }
  return "";
}

TEST(Npy, HeaderIsByteIdenticalToNumpys) {
  cs::test::TempDir tmp;
  const float v[6] = {0, 1, 2, 3, 4, 5};
  cs::io::write_npy(tmp / "a.npy", v, {2, 3});
  const std::string f = cs::io::read_file(tmp / "a.npy");
  // What numpy.save writes for np.arange(6, dtype='<f4').reshape(2, 3).
  std::string expect("\x93NUMPY\x01\x00\x76\x00", 10);
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  expect += dict;
  expect.append(118 - dict.size() - 1, ' ');
  expect += '\n';
  ASSERT_EQ(f.size(), 128u + 24u);
  EXPECT_EQ(f.substr(0, 128), expect);
  float back[6];
  std::memcpy(back, f.data() + 128, 24);
  EXPECT_EQ(back[5], 5.0f);
}

TEST(Npy, OneDimensionalAndScalarShapesUsePythonTupleSyntax) {
  cs::test::TempDir tmp;
  const int64_t v[3] = {7, -8, 1LL << 40};
  cs::io::write_npy(tmp / "v.npy", v, {3});
  EXPECT_NE(cs::io::read_file(tmp / "v.npy").find("'shape': (3,), }"), std::string::npos);
  const double s = 2.5;
  cs::io::write_npy(tmp / "s.npy", &s, {});
  EXPECT_NE(cs::io::read_file(tmp / "s.npy").find("'shape': (), }"), std::string::npos);
  NpyArray a = cs::io::read_npy(tmp / "s.npy");
  EXPECT_TRUE(a.shape.empty());
  EXPECT_EQ(a.numel(), 1);
  EXPECT_EQ(a.to_double(), std::vector<double>{2.5});
  NpyArray b = cs::io::read_npy(tmp / "v.npy");
  EXPECT_EQ(b.to_int64(), (std::vector<int64_t>{7, -8, 1LL << 40}));
}

template <class T>
void round_trip(const std::string& path, const std::string& descr) {
  std::vector<T> v = {T(1), T(2), T(3), T(250), T(0), T(42)};
  cs::io::write_npy(path, v.data(), {3, 2});
  NpyArray a = cs::io::read_npy(path);
  EXPECT_EQ(a.dtype, descr);
  EXPECT_EQ(a.shape, (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(a.item_size(), int(sizeof(T)));
  ASSERT_EQ(a.bytes.size(), v.size() * sizeof(T));
  EXPECT_EQ(std::memcmp(a.bytes.data(), v.data(), a.bytes.size()), 0);
  EXPECT_EQ(a.to_float(), (std::vector<float>{1, 2, 3, 250, 0, 42}));
}

TEST(Npy, RoundTripsEveryWrittenType) {
  cs::test::TempDir tmp;
  round_trip<float>(tmp / "f4.npy", "<f4");
  round_trip<double>(tmp / "f8.npy", "<f8");
  round_trip<int32_t>(tmp / "i4.npy", "<i4");
  round_trip<int64_t>(tmp / "i8.npy", "<i8");
  round_trip<uint8_t>(tmp / "u1.npy", "|u1");
  round_trip<uint16_t>(tmp / "u2.npy", "<u2");
  round_trip<uint32_t>(tmp / "u4.npy", "<u4");
}

TEST(Npy, EmptyArray) {
  cs::test::TempDir tmp;
  cs::io::write_npy(tmp / "e.npy", static_cast<const float*>(nullptr), {0, 5});
  NpyArray a = cs::io::read_npy(tmp / "e.npy");
  EXPECT_EQ(a.shape, (std::vector<int64_t>{0, 5}));
  EXPECT_EQ(a.numel(), 0);
  EXPECT_TRUE(a.to_float().empty());
}

TEST(Npy, Float16KnownValues) {
  using cs::io::float_to_half;
  EXPECT_EQ(float_to_half(1.0f), 0x3c00);
  EXPECT_EQ(float_to_half(-2.0f), 0xc000);
  EXPECT_EQ(float_to_half(0.1f), 0x2e66);
  EXPECT_EQ(float_to_half(1.0f / 3.0f), 0x3555);
  EXPECT_EQ(float_to_half(65504.0f), 0x7bff);       // largest finite half
  EXPECT_EQ(float_to_half(65519.99f), 0x7bff);      // just below the midpoint to infinity
  EXPECT_EQ(float_to_half(65520.0f), 0x7c00);       // midpoint, ties to even = infinity
  EXPECT_EQ(float_to_half(1e10f), 0x7c00);
  EXPECT_EQ(float_to_half(-INFINITY), 0xfc00);
  EXPECT_EQ(float_to_half(0x1.0p-14f), 0x0400);     // smallest normal
  EXPECT_EQ(float_to_half(0x1.0p-24f), 0x0001);     // smallest subnormal
  EXPECT_EQ(float_to_half(0x1.0p-25f), 0x0000);     // tie between 0 and 1 ulp: even is 0
  EXPECT_EQ(float_to_half(0x1.8p-25f), 0x0001);
  EXPECT_EQ(float_to_half(0x1.8p-24f), 0x0002);     // 1.5 ulp ties to 2
  EXPECT_EQ(float_to_half(1.0f + 0x1.0p-11f), 0x3c00);        // tie, even mantissa stays
  EXPECT_EQ(float_to_half(1.0f + 3 * 0x1.0p-11f), 0x3c02);    // tie, odd mantissa rounds up
  EXPECT_EQ(float_to_half(-0.0f), 0x8000);
  const uint16_t nan = float_to_half(NAN);
  EXPECT_EQ(nan & 0x7c00, 0x7c00);
  EXPECT_NE(nan & 0x3ff, 0);
}

TEST(Npy, Float16EveryHalfRoundTripsAndMidpointsRoundToEven) {
  using cs::io::float_to_half;
  using cs::io::half_to_float;
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = half_to_float(uint16_t(h));
    if (std::isnan(f)) continue;
    ASSERT_EQ(float_to_half(f), h) << "half 0x" << std::hex << h;
    // The midpoint to the next half up (same sign, finite) must go to whichever is even.
    if ((h & 0x7fff) < 0x7bff) {
      const float g = half_to_float(uint16_t(h + 1));
      const float mid = float((double(f) + double(g)) / 2);
      ASSERT_EQ(float_to_half(mid), (h & 1) ? h + 1 : h) << "midpoint above 0x" << std::hex << h;
    }
  }
}

TEST(Npy, WriteF16StoresHalves) {
  cs::test::TempDir tmp;
  const float v[4] = {1.0f, 0.1f, -65504.0f, 3.0e-8f};
  cs::io::write_npy_f16(tmp / "h.npy", v, {2, 2});
  NpyArray a = cs::io::read_npy(tmp / "h.npy");
  EXPECT_EQ(a.dtype, "<f2");
  const std::vector<float> back = a.to_float();
  EXPECT_EQ(back[0], 1.0f);
  EXPECT_EQ(back[1], 0.0999755859375f);  // the half nearest 0.1
  EXPECT_EQ(back[2], -65504.0f);
  EXPECT_EQ(back[3], 0x1.0p-25f * 2);    // nearest subnormal
}

TEST(Npy, ReadsVersion2Headers) {
  cs::test::TempDir tmp;
  std::string header = "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }";
  header.append(64 - (12 + header.size() + 1) % 64, ' ');
  header += '\n';
  std::string f("\x93NUMPY\x02\x00", 8);
  const uint32_t hl = uint32_t(header.size());
  f.append(reinterpret_cast<const char*>(&hl), 4);
  f += header;
  const int32_t v[2] = {-3, 9};
  f.append(reinterpret_cast<const char*>(v), 8);
  cs::test::write_bytes(tmp / "v2.npy", f);
  EXPECT_EQ(cs::io::read_npy(tmp / "v2.npy").to_int64(), (std::vector<int64_t>{-3, 9}));
}

class NpyCorrupt : public ::testing::Test {
 protected:
  void SetUp() override {
    const float v[6] = {1, 2, 3, 4, 5, 6};
    cs::io::write_npy(tmp / "good.npy", v, {2, 3});
    good = cs::io::read_file(tmp / "good.npy");
  }
  std::string write(const std::string& bytes) {
    cs::test::write_bytes(tmp / "bad.npy", bytes);
    return error_of(tmp / "bad.npy");
  }
  std::string header_with(const std::string& from, const std::string& to) {
    std::string f = good;
    const size_t at = f.find(from);
    f.replace(at, from.size(), to);
    // Keep the header length field consistent by absorbing the difference in the padding.
    const int diff = int(to.size()) - int(from.size());
    const size_t nl = f.find('\n');
    if (diff > 0) f.erase(nl - size_t(diff), size_t(diff));
    else f.insert(nl, size_t(-diff), ' ');
    return f;
  }
  cs::test::TempDir tmp;
  std::string good;
};

TEST_F(NpyCorrupt, EachProblemGetsItsOwnMessage) {
  EXPECT_NE(write("hello world, not numpy").find("magic"), std::string::npos);
  EXPECT_NE(write(good.substr(0, 8)).find("magic"), std::string::npos);
  EXPECT_NE(write(good.substr(0, good.size() - 4)).find("needs 24 data bytes but the file holds 20"),
            std::string::npos);
  EXPECT_NE(write(good + "xxxx").find("holds 28"), std::string::npos);
  std::string long_header = good;
  long_header[8] = '\xff';
  long_header[9] = '\x7f';
  EXPECT_NE(write(long_header).find("runs past the end"), std::string::npos);
  EXPECT_NE(write(header_with("False", "True ")).find("fortran_order"), std::string::npos);
  EXPECT_NE(write(header_with("'<f4'", "'>f4'")).find("unsupported .npy dtype '>f4'"),
            std::string::npos);
  EXPECT_NE(write(header_with("(2, 3)", "(2, x)")).find("malformed .npy header"), std::string::npos);
  EXPECT_NE(write(header_with("'shape'", "'shope'")).find("unexpected key 'shope'"),
            std::string::npos);
  std::string v9 = good;
  v9[6] = 9;
  EXPECT_NE(write(v9).find("version 9"), std::string::npos);
  EXPECT_NE(error_of(tmp / "missing.npy").find("missing.npy"), std::string::npos);
  // Every message names the file.
  EXPECT_NE(write(good.substr(0, 100)).find("bad.npy"), std::string::npos);
}

}  // namespace
