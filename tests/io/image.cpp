// Image grids (exact pixels and sizes, read back with stb_image), single
// images, read_image, bad shapes and paths, and plot files.
#include <stb_image.h>

#include <cstdint>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "helpers.hpp"
#include "temp_dir.hpp"

using namespace zengen;
using zengen::testing::read_bytes;
using zengen::testing::require_values;
using zengen::testing::TempDir;

namespace {

struct Png {
  int w = 0, h = 0, comp = 0;
  std::vector<std::uint8_t> px;
  std::uint8_t at(int x, int y, int c = 0) const { return px[static_cast<std::size_t>((y * w + x) * comp + c)]; }
};

Png load_png(const std::string& path) {
  Png p;
  stbi_uc* data = stbi_load(path.c_str(), &p.w, &p.h, &p.comp, 0);
  REQUIRE(data != nullptr);
  p.px.assign(data, data + p.w * p.h * p.comp);
  stbi_image_free(data);
  return p;
}

}  // namespace

TEST_CASE("image grid: size, placement, padding and values of a tiny grey grid", "[io][image]") {
  TempDir dir;
  // 3 grey 2x2 images in [0, 1]; 2 per row, padding 1, white padding.
  const Tensor x = tensor({0.0, 1.0, 0.5, 0.25,  //
                           1.0, 1.0, 1.0, 1.0,   //
                           -1.0, 2.0, 0.2, 0.8},
                          {3, 1, 2, 2});
  const std::string path = dir.file("grid.png");
  io::save_image_grid(x, path, {.nrow = 2, .padding = 1, .range = io::ImageRange::ZeroToOne, .pad_value = 1});
  REQUIRE(dir.entries() == std::vector<std::string>{"grid.png"});  // no temporary file left
  const Png png = load_png(path);
  REQUIRE(png.w == 7);  // 2 * (2 + 1) + 1
  REQUIRE(png.h == 7);
  REQUIRE(png.comp == 1);
  const std::vector<std::uint8_t> expected{
      255, 255, 255, 255, 255, 255, 255,  //
      255, 0,   255, 255, 255, 255, 255,  //
      255, 128, 64,  255, 255, 255, 255,  //
      255, 255, 255, 255, 255, 255, 255,  //
      255, 0,   255, 255, 255, 255, 255,  // third image: -1 clamps to 0, 2 to 255
      255, 51,  204, 255, 255, 255, 255,  // the empty fourth slot is padding
      255, 255, 255, 255, 255, 255, 255};
  REQUIRE(png.px == expected);
}

TEST_CASE("image grid: RGB in [-1, 1], default options", "[io][image]") {
  TempDir dir;
  // One 3-channel 1x2 image: pixel 0 = (-1, 0, 1), pixel 1 = (0.5, -0.5, 3).
  const Tensor x = tensor({-1, 0.5, 0, -0.5, 1, 3}, {1, 3, 1, 2}, {.dtype = DType::Float64});
  io::save_image_grid(x, dir.file("rgb.png"));
  const Png png = load_png(dir.file("rgb.png"));
  REQUIRE(png.w == 6);  // 1 * (2 + 2) + 2
  REQUIRE(png.h == 5);  // 1 * (1 + 2) + 2
  REQUIRE(png.comp == 3);
  REQUIRE(png.at(0, 0, 0) == 0);  // black padding
  REQUIRE(png.at(2, 2, 0) == 0);
  REQUIRE(png.at(2, 2, 1) == 128);
  REQUIRE(png.at(2, 2, 2) == 255);
  REQUIRE(png.at(3, 2, 0) == 191);  // 0.75 * 255 = 191.25
  REQUIRE(png.at(3, 2, 1) == 64);   // 0.25 * 255 = 63.75
  REQUIRE(png.at(3, 2, 2) == 255);
  REQUIRE(png.at(4, 2, 0) == 0);

  // nrow larger than N: one row of N.
  io::save_image_grid(zeros({3, 1, 4, 4}), dir.file("row.png"), {.nrow = 10, .padding = 0});
  const Png row = load_png(dir.file("row.png"));
  REQUIRE(row.w == 12);
  REQUIRE(row.h == 4);
}

TEST_CASE("image grid: bad shapes are ShapeErrors naming the shape; bad paths IOErrors naming the path",
          "[io][image]") {
  TempDir dir;
  const std::string path = dir.file("g.png");
  REQUIRE_THROWS_AS(io::save_image_grid(zeros({2, 2, 2}), path), ShapeError);
  REQUIRE_THROWS_WITH(io::save_image_grid(zeros({2, 2, 2}), path), Catch::Contains("[2, 2, 2]"));
  REQUIRE_THROWS_WITH(io::save_image_grid(zeros({2, 2, 4, 4}), path), Catch::Contains("[2, 2, 4, 4]"));
  REQUIRE_THROWS_AS(io::save_image_grid(zeros({0, 3, 4, 4}), path), ShapeError);
  REQUIRE_THROWS_AS(io::save_image_grid(zeros({1, 3, 4, 4}, {.dtype = DType::Int64}), path), DTypeError);
  REQUIRE_THROWS_AS(io::save_image_grid(zeros({1, 3, 4, 4}), path, {.nrow = 0}), ValueError);
  REQUIRE_THROWS_AS(io::save_image(zeros({1, 3, 4, 4}), path), ShapeError);
  REQUIRE(dir.entries().empty());

  const std::string bad = dir.file("no-such-folder/g.png");
  REQUIRE_THROWS_AS(io::save_image_grid(zeros({1, 1, 2, 2}), bad), IOError);
  REQUIRE_THROWS_WITH(io::save_image_grid(zeros({1, 1, 2, 2}), bad), Catch::Contains(bad));

  // A failed write leaves the previous file as it was.
  io::save_image_grid(zeros({1, 1, 2, 2}), path);
  const std::string before = read_bytes(path);
  REQUIRE_THROWS_AS(io::save_image_grid(zeros({1, 2, 2, 2}), path), ShapeError);
  REQUIRE(read_bytes(path) == before);
}

TEST_CASE("image: save_image and read_image round-trip", "[io][image]") {
  TempDir dir;
  const Tensor x = tensor({0.0, 0.2, 0.4, 0.6, 0.8, 1.0}, {3, 1, 2});
  io::save_image(x, dir.file("one.png"), io::ImageRange::ZeroToOne);
  const Tensor y = io::read_image(dir.file("one.png"));
  REQUIRE(y.shape() == Shape{3, 1, 2});
  require_values(y, {3, 1, 2}, {0, 51 / 255.0, 102 / 255.0, 153 / 255.0, 204 / 255.0, 1}, 1e-6);
  // grads and views are fine
  io::save_image(x.requires_grad_().transpose(1, 2).transpose(1, 2), dir.file("view.png"), io::ImageRange::ZeroToOne);
  REQUIRE(read_bytes(dir.file("view.png")) == read_bytes(dir.file("one.png")));
  REQUIRE_THROWS_AS(io::read_image(dir.file("missing.png")), IOError);
  zengen::testing::write_bytes(dir.file("text.png"), "hello");
  REQUIRE_THROWS_AS(io::read_image(dir.file("text.png")), FormatError);
  REQUIRE_THROWS_WITH(io::read_image(dir.file("text.png")), Catch::Contains(dir.file("text.png")));
}

TEST_CASE("plot: PNG of the requested size, with the series' colours", "[io][plot]") {
  TempDir dir;
  std::vector<double> d, g;
  for (int i = 0; i < 500; ++i) {
    d.push_back(1.4 * std::exp(-i / 150.0) + 0.1 * std::sin(i / 7.0) + 0.3);
    g.push_back(0.7 + 2.0 * (1 - std::exp(-i / 100.0)) + 0.15 * std::cos(i / 5.0));
  }
  const std::string path = dir.file("losses.png");
  io::plot_curves(path, {{"D loss", d}, {"G loss", g}}, {.title = "DCGAN losses", .y_label = "loss"});
  REQUIRE(dir.entries() == std::vector<std::string>{"losses.png"});
  const Png png = load_png(path);
  REQUIRE(png.w == 800);
  REQUIRE(png.h == 500);
  REQUIRE(png.comp == 3);
  auto count = [&](std::uint8_t r, std::uint8_t gg, std::uint8_t b) {
    int n = 0;
    for (int y = 0; y < png.h; ++y)
      for (int x = 0; x < png.w; ++x) n += png.at(x, y, 0) == r && png.at(x, y, 1) == gg && png.at(x, y, 2) == b;
    return n;
  };
  REQUIRE(count(31, 119, 180) > 500);  // blue: the first series
  REQUIRE(count(255, 127, 14) > 500);  // orange: the second
  REQUIRE(count(255, 255, 255) > 800 * 500 / 2);

  // log y, explicit x, gaps (NaN, and values <= 0 on a log axis), a small size.
  std::vector<double> x, y;
  for (int i = 1; i <= 100; ++i) {
    x.push_back(i * 10.0);
    y.push_back(i == 50 ? std::nan("") : i == 60 ? 0.0 : 100.0 / i);
  }
  io::plot_curves(dir.file("log.png"), {{"kl", y, x}}, {.width = 320, .height = 200, .log_y = true});
  const Png small = load_png(dir.file("log.png"));
  REQUIRE(small.w == 320);
  REQUIRE(small.h == 200);
  // Nothing drawable still gives axes.
  io::plot_curves(dir.file("empty.png"), {{"nothing", {}}});
  io::plot_curves(dir.file("flat.png"), {{"flat", {2, 2, 2}}, {"one point", {5}}});
}

TEST_CASE("plot: bad arguments and paths", "[io][plot]") {
  TempDir dir;
  REQUIRE_THROWS_AS(io::plot_curves(dir.file("p.png"), {}), ValueError);
  REQUIRE_THROWS_AS(io::plot_curves(dir.file("p.png"), {{"a", {1, 2}, {1}}}), ValueError);
  REQUIRE_THROWS_AS(io::plot_curves(dir.file("p.png"), {{"a", {1, 2}}}, {.width = 10}), ValueError);
  const std::string bad = dir.file("missing/p.png");
  REQUIRE_THROWS_AS(io::plot_curves(bad, {{"a", {1, 2}}}), IOError);
  REQUIRE_THROWS_WITH(io::plot_curves(bad, {{"a", {1, 2}}}), Catch::Contains(bad));
  REQUIRE(dir.entries().empty());
}
