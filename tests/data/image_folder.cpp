// ImageFolder and its building blocks: decoding every format, grey and
// alpha, resizing (area / bilinear) and centre crops on hand-computed
// cases, labels from sub-folders, bad files under Skip and Raise, the
// max_pixels refusal, and missing or empty folders.
#include <stb_image_write.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "helpers.hpp"
#include "temp_dir.hpp"

using namespace zengen;
using zengen::testing::read_bytes;
using zengen::testing::require_values;
using zengen::testing::TempDir;
using zengen::testing::write_bytes;

namespace {

// Writes interleaved 8-bit pixels (w x h x comp) in the format its name says.
void write_image(const std::string& path, int w, int h, int comp, const std::vector<std::uint8_t>& px) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  REQUIRE(px.size() == static_cast<std::size_t>(w * h * comp));
  const std::string ext = std::filesystem::path(path).extension().string();
  int ok = 0;
  if (ext == ".png") ok = stbi_write_png(path.c_str(), w, h, comp, px.data(), w * comp);
  if (ext == ".bmp") ok = stbi_write_bmp(path.c_str(), w, h, comp, px.data());
  if (ext == ".tga") ok = stbi_write_tga(path.c_str(), w, h, comp, px.data());
  if (ext == ".jpg") ok = stbi_write_jpg(path.c_str(), w, h, comp, px.data(), 100);
  REQUIRE(ok);
}

// A w x h grey image with the given values, as a PNG.
void write_grey(const std::string& path, int w, int h, const std::vector<std::uint8_t>& px) {
  write_image(path, w, h, 1, px);
}

// v in 0..255 as ImageFolder stores it.
double scaled(double v) { return v / 127.5 - 1.0; }

std::vector<double> scaled(const std::vector<double>& v) {
  std::vector<double> out;
  for (double x : v) out.push_back(scaled(x));
  return out;
}

// A 1x1 GIF whose only pixel is palette entry 0 = (255, 0, 0).
const std::string kRedGif = std::string("GIF89a\x01\x00\x01\x00\x80\x00\x00", 13) + std::string("\xff\x00\x00\x00\x00\x00", 6) +
                            std::string("\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00\x3b", 16);

// A PNG signature and IHDR declaring a 20000 x 20000 grey image, and nothing else.
std::string huge_png_header() {
  std::string s("\x89PNG\r\n\x1a\n", 8);
  s += std::string("\x00\x00\x00\x0dIHDR", 8);
  for (std::uint32_t v : {20000u, 20000u})
    for (int i = 3; i >= 0; --i) s += static_cast<char>((v >> (8 * i)) & 0xff);
  s += std::string("\x08\x00\x00\x00\x00", 5);  // 8-bit grey, no interlace
  s += std::string(4, '\0');                     // CRC (stb does not check it)
  return s + std::string(100 - s.size(), '\0');
}

}  // namespace

TEST_CASE("image folder: decoded RGB values, scaled to [-1, 1], planar [C, H, W]", "[data][image]") {
  TempDir dir;
  // 2x2 RGB: (10, 20, 30) (40, 50, 60) / (70, 80, 90) (255, 0, 128)
  write_image(dir.file("a.png"), 2, 2, 3, {10, 20, 30, 40, 50, 60, 70, 80, 90, 255, 0, 128});
  data::ImageFolder folder(dir.path().string(), {.size = 2});
  REQUIRE(folder.size() == 1);
  REQUIRE(folder.images().dtype() == DType::Float32);
  require_values(folder.images(), {1, 3, 2, 2}, scaled({10, 40, 70, 255, 20, 50, 80, 0, 30, 60, 90, 128}));
  require_values(folder.labels(), {1}, {0});
  REQUIRE(folder.classes() == std::vector<std::string>{""});
  REQUIRE(folder.paths() == std::vector<std::string>{dir.file("a.png")});
  REQUIRE(folder.skipped().empty());
  const auto ex = folder.get(0);
  require_values(ex.image, {3, 2, 2}, scaled({10, 40, 70, 255, 20, 50, 80, 0, 30, 60, 90, 128}));
  REQUIRE(ex.label == 0);
  REQUIRE_THROWS_AS(folder.get(1), ValueError);
  REQUIRE_THROWS_AS(folder.get(-1), ValueError);
}

TEST_CASE("image folder: every format (PNG, BMP, TGA, JPEG, GIF), upper-case extensions too", "[data][image]") {
  TempDir dir;
  const std::vector<std::uint8_t> rgb{200, 100, 50, 0, 255, 10};  // 2x1
  write_image(dir.file("1.png"), 2, 1, 3, rgb);
  write_image(dir.file("2.bmp"), 2, 1, 3, rgb);
  write_image(dir.file("3.tga"), 2, 1, 3, rgb);
  std::vector<std::uint8_t> flat(8 * 8 * 3);
  for (std::size_t i = 0; i < flat.size(); i += 3) flat[i] = 40, flat[i + 1] = 120, flat[i + 2] = 220;
  write_image(dir.file("4.jpg"), 8, 8, 3, flat);
  write_bytes(dir.file("6.GIF"), kRedGif);
  write_bytes(dir.file("notes.txt"), "not an image");

  // Native sizes: load_image gives 0..255 values.
  require_values(data::load_image(dir.file("1.png")), {3, 1, 2}, {200, 0, 100, 255, 50, 10});
  require_values(data::load_image(dir.file("2.bmp")), {3, 1, 2}, {200, 0, 100, 255, 50, 10});
  require_values(data::load_image(dir.file("3.tga")), {3, 1, 2}, {200, 0, 100, 255, 50, 10});
  const Tensor jpg = data::load_image(dir.file("4.jpg"));
  REQUIRE(jpg.shape() == Shape{3, 8, 8});
  require_values(jpg.mean({1, 2}), {3}, {40, 120, 220}, 0.05);  // lossy, but flat colours survive
  require_values(data::load_image(dir.file("6.GIF")), {3, 1, 1}, {255, 0, 0});

  data::ImageFolder folder(dir.path().string(), {.size = 1});
  REQUIRE(folder.size() == 5);  // notes.txt is not listed
  REQUIRE(folder.paths().back() == dir.file("6.GIF"));
  REQUIRE(folder.skipped().empty());
  require_values(folder.get(4).image, {3, 1, 1}, scaled({255, 0, 0}));
}

TEST_CASE("image folder: grey conversion and alpha over the background", "[data][image]") {
  TempDir dir;
  // RGBA 3x1: opaque (100, 150, 200), transparent (9, 9, 9), half (0, 0, 0, 128)
  write_image(dir.file("rgba.png"), 3, 1, 4, {100, 150, 200, 255, 9, 9, 9, 0, 0, 0, 0, 128});
  const double a = 128.0 / 255.0;
  require_values(data::load_image(dir.file("rgba.png")), {3, 1, 3},
                 {100, 255, 255 * (1 - a), 150, 255, 255 * (1 - a), 200, 255, 255 * (1 - a)}, 1e-5);
  require_values(data::load_image(dir.file("rgba.png"), 3, 1 << 26, 0), {3, 1, 3},
                 {100, 0, 0, 150, 0, 0, 200, 0, 0});
  // Grey: stb_image's luma (77 R + 150 G + 29 B) >> 8.
  const double y = (100 * 77 + 150 * 150 + 200 * 29) >> 8;
  require_values(data::load_image(dir.file("rgba.png"), 1), {1, 1, 3}, {y, 255, 255 * (1 - a)}, 1e-5);

  data::ImageFolder grey(dir.path().string(), {.size = 1, .channels = 1, .background = 0});
  REQUIRE(grey.images().shape() == Shape{1, 1, 1, 1});
  REQUIRE_THROWS_AS(data::ImageFolder(dir.path().string(), {.channels = 2}), ValueError);
  REQUIRE_THROWS_AS(data::ImageFolder(dir.path().string(), {.size = 0}), ValueError);
  REQUIRE_THROWS_AS(data::ImageFolder(dir.path().string(), {.background = 256}), ValueError);
}

TEST_CASE("image folder: area averaging when shrinking", "[data][image]") {
  // 4x4 -> 2x2: the mean of each 2x2 block.
  const Tensor img = tensor({0, 2, 4, 6,  //
                             8, 10, 12, 14,  //
                             16, 18, 20, 22,  //
                             24, 26, 28, 30},
                            {1, 4, 4});
  require_values(data::resize(img, 2, 2), {1, 2, 2}, {5, 9, 21, 25});
  // 3 -> 2 along x: output 0 covers [0, 1.5): (1 * a + 0.5 * b) / 1.5.
  const Tensor row = tensor({3, 6, 9}, {1, 1, 3});
  require_values(data::resize(row, 1, 2), {1, 1, 2}, {(3 + 0.5 * 6) / 1.5, (0.5 * 6 + 9) / 1.5}, 1e-6);
  // Through a file: a 4x4 PNG loaded at size 2.
  TempDir dir;
  write_grey(dir.file("g.png"), 4, 4, {0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30});
  data::ImageFolder folder(dir.path().string(), {.size = 2, .channels = 1});
  require_values(folder.images(), {1, 1, 2, 2}, scaled({5, 9, 21, 25}), 1e-6);
}

TEST_CASE("image folder: bilinear when growing, copy when the size stays", "[data][image]") {
  // 2 -> 4 along each axis: pixel centres at -0.25 (clamped), 0.25, 0.75, 1.25 (clamped).
  const Tensor img = tensor({0, 40, 80, 120}, {1, 2, 2});
  const std::vector<double> row0{0, 10, 30, 40}, row1{80, 90, 110, 120};
  std::vector<double> expected;
  for (double wy : {0.0, 0.25, 0.75, 1.0})
    for (std::size_t x = 0; x < 4; ++x) expected.push_back((1 - wy) * row0[x] + wy * row1[x]);
  require_values(data::resize(img, 4, 4), {1, 4, 4}, expected);
  require_values(data::resize(img, 2, 2), {1, 2, 2}, {0, 40, 80, 120});
  // Mixed: shrink x (4 -> 2), grow y (1 -> 2).
  require_values(data::resize(tensor({0, 2, 4, 6}, {1, 1, 4}), 2, 2), {1, 2, 2}, {1, 5, 1, 5});
  REQUIRE_THROWS_AS(data::resize(tensor({1, 2}), 2, 2), ShapeError);
  REQUIRE_THROWS_AS(data::resize(img, 0, 2), ValueError);
}

TEST_CASE("image folder: the short side is resized to size, then the centre is cropped", "[data][image]") {
  // 2 rows x 4 columns at size 2: no resize, columns 1 and 2 kept.
  const Tensor wide = tensor({0, 1, 2, 3, 4, 5, 6, 7}, {1, 2, 4});
  require_values(data::resize_center_crop(wide, 2), {1, 2, 2}, {1, 2, 5, 6});
  // 4 rows x 2 columns: rows 1 and 2.
  const Tensor tall = tensor({0, 1, 2, 3, 4, 5, 6, 7}, {1, 4, 2});
  require_values(data::resize_center_crop(tall, 2), {1, 2, 2}, {2, 3, 4, 5});
  // 4 x 8 at size 2: area-resized to 2 x 4 (2x2 means), then columns 1 and 2.
  std::vector<double> v(32);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(i);
  const Tensor big = from_vector(v, {1, 4, 8}).to(DType::Float32);
  // 2x2 block means of rows (0,1) and (2,3): block (r, c) = 8 * (2r) + 2c + 4.5
  require_values(data::resize_center_crop(big, 2), {1, 2, 2}, {6.5, 8.5, 22.5, 24.5});
  // Through a file.
  TempDir dir;
  write_grey(dir.file("w.png"), 4, 2, {0, 10, 20, 30, 40, 50, 60, 70});
  data::ImageFolder folder(dir.path().string(), {.size = 2, .channels = 1});
  require_values(folder.images(), {1, 1, 2, 2}, scaled({10, 20, 50, 60}), 1e-6);
}

TEST_CASE("image folder: labels from the first-level sub-folders, files sorted by path", "[data][image]") {
  TempDir dir;
  write_grey(dir.file("root.png"), 1, 1, {0});
  write_grey(dir.file("dogs/y.png"), 1, 1, {30});
  write_grey(dir.file("cats/x.png"), 1, 1, {10});
  write_grey(dir.file("dogs/sub/z.png"), 1, 1, {20});
  std::filesystem::create_directories(dir.file("empty"));
  data::ImageFolder folder(dir.path().string(), {.size = 1, .channels = 1});
  REQUIRE(folder.classes() == std::vector<std::string>{"", "cats", "dogs"});
  REQUIRE(folder.paths() == std::vector<std::string>{dir.file("cats/x.png"), dir.file("dogs/sub/z.png"),
                                                     dir.file("dogs/y.png"), dir.file("root.png")});
  require_values(folder.labels(), {4}, {1, 2, 2, 0});
  require_values(folder.images(), {4, 1, 1, 1}, scaled({10, 20, 30, 0}), 1e-6);
  REQUIRE(folder.get(1).label == 2);

  // Without root files, classes start at the first sub-folder.
  TempDir only_dirs;
  write_grey(only_dirs.file("b/1.png"), 1, 1, {0});
  write_grey(only_dirs.file("a/1.png"), 1, 1, {0});
  data::ImageFolder two(only_dirs.path().string(), {.size = 1});
  REQUIRE(two.classes() == std::vector<std::string>{"a", "b"});
  require_values(two.labels(), {2}, {0, 1});
}

TEST_CASE("image folder: corrupt and non-image files are skipped with their path, or raise", "[data][image]") {
  TempDir dir;
  write_grey(dir.file("a.png"), 2, 2, {1, 2, 3, 4});
  std::vector<std::uint8_t> px(16 * 16, 7);
  write_grey(dir.file("b.png"), 16, 16, px);
  const std::string good = read_bytes(dir.file("b.png"));
  write_bytes(dir.file("b.png"), good.substr(0, good.size() / 2));  // truncated
  write_bytes(dir.file("c.png"), "this is a text file, not a PNG\n");
  write_grey(dir.file("d.png"), 2, 2, {5, 6, 7, 8});

  data::ImageFolder folder(dir.path().string(), {.size = 2, .channels = 1});
  REQUIRE(folder.size() == 2);
  REQUIRE(folder.paths() == std::vector<std::string>{dir.file("a.png"), dir.file("d.png")});
  require_values(folder.images(), {2, 1, 2, 2}, scaled({1, 2, 3, 4, 5, 6, 7, 8}), 1e-6);
  REQUIRE(folder.skipped().size() == 2);
  REQUIRE(folder.skipped()[0].path == dir.file("b.png"));
  REQUIRE(folder.skipped()[1].path == dir.file("c.png"));
  REQUIRE_THAT(folder.skipped()[0].reason, Catch::Contains("truncated"));  // b.png is cut short
  REQUIRE_THAT(folder.skipped()[1].reason, Catch::Contains("not a PNG, JPEG, BMP or GIF file"));

  auto raise = [&] { data::ImageFolder(dir.path().string(), {.size = 2, .on_error = data::OnError::Raise}); };
  REQUIRE_THROWS_AS(raise(), FormatError);
  REQUIRE_THROWS_WITH(raise(), Catch::Contains(dir.file("b.png")) && Catch::Contains("truncated"));
  std::filesystem::remove(dir.file("b.png"));
  REQUIRE_THROWS_WITH(raise(), Catch::Contains(dir.file("c.png")) && Catch::Contains("no signature"));
  REQUIRE_THROWS_AS(data::load_image(dir.file("c.png")), FormatError);
  REQUIRE_THROWS_AS(data::load_image(dir.file("missing.png")), IOError);
  REQUIRE_THROWS_WITH(data::load_image(dir.file("missing.png")), Catch::Contains(dir.file("missing.png")));

  // Every file bad: nothing to load.
  TempDir bad;
  write_bytes(bad.file("x.jpg"), "nope");
  REQUIRE_THROWS_AS(data::ImageFolder(bad.path().string()), IOError);
}

TEST_CASE("image folder: declared sizes over max_pixels are refused before decoding", "[data][image]") {
  TempDir dir;
  write_bytes(dir.file("huge.png"), huge_png_header());  // 100 bytes declaring 4e8 pixels
  REQUIRE(read_bytes(dir.file("huge.png")).size() == 100);
  REQUIRE_THROWS_AS(data::load_image(dir.file("huge.png")), FormatError);
  REQUIRE_THROWS_WITH(data::load_image(dir.file("huge.png")),
                      Catch::Contains(dir.file("huge.png")) && Catch::Contains("20000 x 20000") &&
                          Catch::Contains("max_pixels"));
  std::vector<std::uint8_t> px(100 * 100, 9);
  write_grey(dir.file("small.png"), 100, 100, px);
  REQUIRE_THROWS_WITH(data::load_image(dir.file("small.png"), 1, 9999), Catch::Contains("max_pixels = 9999"));
  REQUIRE(data::load_image(dir.file("small.png"), 1, 10000).shape() == Shape{1, 100, 100});

  REQUIRE_THROWS_AS(data::ImageFolder(dir.path().string(), {.on_error = data::OnError::Raise}), FormatError);
  data::ImageFolder folder(dir.path().string(), {.size = 4});
  REQUIRE(folder.size() == 1);
  REQUIRE(folder.skipped().size() == 1);
  REQUIRE(folder.skipped()[0].path == dir.file("huge.png"));
  REQUIRE_THAT(folder.skipped()[0].reason, Catch::Contains("max_pixels"));
}

TEST_CASE("image folder: a missing, empty or image-less folder is an IOError naming it", "[data][image]") {
  TempDir dir;
  const std::string missing = dir.file("no-such-folder");
  REQUIRE_THROWS_AS(data::ImageFolder(missing), IOError);
  REQUIRE_THROWS_WITH(data::ImageFolder(missing), Catch::Contains(missing) && Catch::Contains("does not exist"));
  REQUIRE_THROWS_AS(data::ImageFolder(dir.path().string()), IOError);
  REQUIRE_THROWS_WITH(data::ImageFolder(dir.path().string()),
                      Catch::Contains(dir.path().string()) && Catch::Contains("no image files"));
  write_bytes(dir.file("readme.txt"), "text");
  std::filesystem::create_directories(dir.file("sub/deeper"));
  REQUIRE_THROWS_AS(data::ImageFolder(dir.path().string()), IOError);
  REQUIRE_THROWS_WITH(data::ImageFolder(dir.file("readme.txt")), Catch::Contains("is not a folder"));
}

TEST_CASE("image folder: many files decode in parallel into the right slots", "[data][image]") {
  TempDir dir;
  for (int i = 0; i < 40; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "img%03d.png", i);
    std::vector<std::uint8_t> px(6 * 4, static_cast<std::uint8_t>(i * 5));
    write_grey(dir.file(name), 6, 4, px);
  }
  data::ImageFolder folder(dir.path().string(), {.size = 3, .channels = 1});
  REQUIRE(folder.images().shape() == Shape{40, 1, 3, 3});
  for (std::int64_t i = 0; i < 40; ++i) {
    const auto v = folder.get(i).image.to_vector<float>();
    for (float x : v) REQUIRE(x == Approx(scaled(static_cast<double>(i * 5))).margin(1e-6));
  }
}
