#include <cairo.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"
#include "report/plot.h"

namespace cs::report {
namespace {

namespace fs = std::filesystem;

// Decodes a PNG so tests can look at pixels.
struct Image {
  int width = 0, height = 0;
  std::vector<uint32_t> pixels;  // 0x00RRGGBB (alpha dropped: our pictures are opaque)
  Color at(int x, int y) const {
    const uint32_t p = pixels[size_t(y * width + x)];
    return {((p >> 16) & 255) / 255.0, ((p >> 8) & 255) / 255.0, (p & 255) / 255.0};
  }
};

Image decode_png(const std::string& bytes) {
  struct Reader {
    const std::string* bytes;
    size_t pos = 0;
  } reader{&bytes};
  auto read = [](void* closure, unsigned char* data, unsigned int length) {
    auto* r = static_cast<Reader*>(closure);
    if (r->pos + length > r->bytes->size()) return CAIRO_STATUS_READ_ERROR;
    std::memcpy(data, r->bytes->data() + r->pos, length);
    r->pos += length;
    return CAIRO_STATUS_SUCCESS;
  };
  cairo_surface_t* s = cairo_image_surface_create_from_png_stream(read, &reader);
  EXPECT_EQ(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
  Image img;
  img.width = cairo_image_surface_get_width(s);
  img.height = cairo_image_surface_get_height(s);
  const int stride = cairo_image_surface_get_stride(s);
  const unsigned char* data = cairo_image_surface_get_data(s);
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x)
      img.pixels.push_back(*reinterpret_cast<const uint32_t*>(data + y * stride + x * 4) &
                           0xffffff);
  cairo_surface_destroy(s);
  return img;
}

void expect_color(Color got, Color want, double tol, const char* what) {
  EXPECT_NEAR(got.r, want.r, tol) << what;
  EXPECT_NEAR(got.g, want.g, tol) << what;
  EXPECT_NEAR(got.b, want.b, tol) << what;
}

uint32_t big_endian_u32(const std::string& s, size_t at) {
  return (uint32_t(uint8_t(s[at])) << 24) | (uint32_t(uint8_t(s[at + 1])) << 16) |
         (uint32_t(uint8_t(s[at + 2])) << 8) | uint32_t(uint8_t(s[at + 3]));
}

TEST(Ticks, LinearStepsAreOneTwoFiveTimesAPowerOfTen) {
  Ticks t = linear_ticks(0, 1, 6);  // raw step 1/6 -> 0.2
  EXPECT_EQ(t.labels, (std::vector<std::string>{"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"}));
  t = linear_ticks(-0.43, 0.05, 5);  // raw 0.096 -> 0.1; no "-0.0"
  EXPECT_EQ(t.labels, (std::vector<std::string>{"-0.4", "-0.3", "-0.2", "-0.1", "0.0"}));
  ASSERT_EQ(t.values.size(), 5u);
  EXPECT_NEAR(t.values[0], -0.4, 1e-12);
  t = linear_ticks(0, 20000, 4);  // raw 5000; large numbers get suffixes
  EXPECT_EQ(t.labels, (std::vector<std::string>{"0", "5k", "10k", "15k", "20k"}));
  t = linear_ticks(2.5, 11, 4);  // raw 2.125 -> 2
  EXPECT_EQ(t.labels, (std::vector<std::string>{"4", "6", "8", "10"}));
  t = linear_ticks(0.012, 0.047, 4);  // raw 0.00875 -> 0.01
  EXPECT_EQ(t.labels, (std::vector<std::string>{"0.02", "0.03", "0.04"}));
  EXPECT_THROW(linear_ticks(1, 1), Error);
}

TEST(Ticks, LogTicksArePowersOfTen) {
  Ticks t = log_ticks(1e3, 2e6);
  EXPECT_EQ(t.labels, (std::vector<std::string>{"1k", "10k", "100k", "1M"}));
  EXPECT_DOUBLE_EQ(t.values[3], 1e6);
  t = log_ticks(300, 2000);  // under one decade: 2x and 5x too
  EXPECT_EQ(t.labels, (std::vector<std::string>{"500", "1k", "2k"}));
  t = log_ticks(1, 1e11);  // 12 decades: every second one
  EXPECT_EQ(t.labels, (std::vector<std::string>{"1", "100", "10k", "1M", "100M", "10B"}));
  t = log_ticks(300, 800);  // no power of ten inside: even steps instead
  EXPECT_EQ(t.labels, (std::vector<std::string>{"300", "400", "500", "600", "700", "800"}));
  EXPECT_THROW(log_ticks(0, 10), Error);
}

TEST(Ticks, SiFormat) {
  EXPECT_EQ(format_si(0), "0");
  EXPECT_EQ(format_si(250), "250");
  EXPECT_EQ(format_si(0.05), "0.05");
  EXPECT_EQ(format_si(1500), "1.5k");
  EXPECT_EQ(format_si(2e6), "2M");
  EXPECT_EQ(format_si(-3e9), "-3B");
  EXPECT_EQ(format_si(2.5e12), "2.5T");
  EXPECT_EQ(format_si(2e15), "2e15");
}

Axes sample_axes() {
  Axes a;
  a.title = "ICL score & <friends>";
  a.x_label = "x";
  a.y_label = "y";
  Series s;
  s.label = "half";
  s.x = {0, 0.5, 1};
  s.y = {0.5, 0.5, 0.5};
  s.band_lo = {0.45, 0.45, 0.45};
  s.band_hi = {0.55, 0.55, 0.55};
  a.series.push_back(s);
  a.spans.push_back({0.2, 0.4, "window", {1, 0, 0}});
  a.y_range = {{0, 1}};
  a.x_range = {{0, 1}};
  return a;
}

TEST(Plot, PngHasTheSizeAndDrawsWhereTheDataIs) {
  Figure f;
  f.panels = {sample_axes()};
  const std::string png = render(f, Format::Png);
  ASSERT_GT(png.size(), 24u);
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(big_endian_u32(png, 16), 800u);  // IHDR width and height
  EXPECT_EQ(big_endian_u32(png, 20), 420u);
  // Plot area: left 80, top 40, 696 x 324 pixels; y = 0.5 sits at pixel row 40 + 162 = 202.
  const Image img = decode_png(png);
  expect_color(img.at(640, 202), palette(0), 0.12, "the line");
  // The span x in [0.2, 0.4] covers pixels 219..358; near the top it is red at 25% over white.
  expect_color(img.at(290, 60), {1, 0.75, 0.75}, 0.03, "the span");
  expect_color(img.at(600, 60), {1, 1, 1}, 0.01, "empty plot area");
  // Inside the band (0.45..0.55 is rows 186..218) but off the line: series colour at 20%.
  const Color c = palette(0);
  expect_color(img.at(640, 190), {0.8 + 0.2 * c.r, 0.8 + 0.2 * c.g, 0.8 + 0.2 * c.b}, 0.03,
               "the band");
}

TEST(Plot, SvgNamesItsTitle) {
  Figure f;
  f.title = "Derivatives";
  f.panels = {sample_axes(), sample_axes()};
  f.panels[1].x_scale = Scale::Log;
  f.panels[1].x_range.reset();  // x = 0 is left out on a log axis
  const std::string svg = render(f, Format::Svg);
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("<title>Derivatives</title>"), std::string::npos);
  EXPECT_NE(svg.find("height=\"870\""), std::string::npos);  // 30 + 2 x 420
  Figure single;
  single.panels = {sample_axes()};
  EXPECT_NE(render(single, Format::Svg).find("<title>ICL score &amp; &lt;friends&gt;</title>"),
            std::string::npos);
}

TEST(Plot, SaveWritesAtomicallyByExtension) {
  const fs::path dir = fs::temp_directory_path() / ("cs_test_plot_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  save(sample_axes(), (dir / "a.svg").string());
  save(sample_axes(), (dir / "sub" / "a.png").string());
  EXPECT_GT(fs::file_size(dir / "a.svg"), 1000u);
  EXPECT_GT(fs::file_size(dir / "sub" / "a.png"), 1000u);
  EXPECT_THROW(save(sample_axes(), (dir / "a.jpg").string()), Error);
  size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) files += e.is_regular_file();
  EXPECT_EQ(files, 2u);  // no temporary files left behind
  fs::remove_all(dir);
}

TEST(Plot, RejectsMismatchedSeries) {
  Axes a = sample_axes();
  a.series[0].y.pop_back();
  Figure f;
  f.panels = {a};
  EXPECT_THROW(render(f, Format::Png), Error);
  a = sample_axes();
  a.series[0].band_hi.pop_back();
  f.panels = {a};
  EXPECT_THROW(render(f, Format::Svg), Error);
  EXPECT_THROW(render(Figure{}, Format::Svg), Error);
}

TEST(Heatmap, ColoursFollowTheValuesAndRowsStackUpwards) {
  // Two rows (bottom row 0 = 0.0, top row 1 = 1.0) x three columns; log row axis with an extra
  // row at 0 that a log axis cannot place.
  Heatmap h;
  h.title = "per-token loss";
  h.rows = 3;
  h.cols = 3;
  h.values = {9, 9, 9, 0, 0, 0, 1, 1, 1};
  h.x = {0, 1, 2};
  h.y = {0, 1000, 1e6};
  h.y_scale = Scale::Log;
  h.vmin = 0;
  h.vmax = 1;
  const std::string png = render(h, Format::Png);
  EXPECT_EQ(big_endian_u32(png, 16), 900u);
  EXPECT_EQ(big_endian_u32(png, 20), 600u);
  // Plot area: left 80, top 40, 700 x 504; the upper half is the 1e6 row, the lower the 1000 row.
  const Image img = decode_png(png);
  expect_color(img.at(400, 100), {0.992, 0.906, 0.145}, 0.01, "viridis(1) on top");
  expect_color(img.at(400, 500), {0.267, 0.004, 0.329}, 0.01, "viridis(0) at the bottom");
  const std::string svg = render(h, Format::Svg);
  EXPECT_NE(svg.find("<title>per-token loss</title>"), std::string::npos);
}

TEST(Heatmap, RejectsBadShapes) {
  Heatmap h;
  h.rows = 2;
  h.cols = 2;
  h.values = {1, 2, 3};
  h.x = {0, 1};
  h.y = {0, 1};
  EXPECT_THROW(render(h, Format::Png), Error);
  h.values = {1, 2, 3, 4};
  h.y = {1, 0};
  EXPECT_THROW(render(h, Format::Png), Error);  // centres must increase
}

}  // namespace
}  // namespace cs::report
