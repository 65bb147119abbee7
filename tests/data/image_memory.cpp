// Peak memory while decoding (issue 16): load_image and read_image hold
// at most the decoded 8-bit pixels beside the float tensor, never a second
// float copy, and the file's bytes are freed before the tensor exists.
#include <malloc.h>

#include <cstdint>
#include <fstream>
#include <string>

#include "data/image_builders.hpp"
#include "helpers.hpp"
#include "memory_peak.hpp"
#include "temp_dir.hpp"

using namespace zengen;
using namespace zengen::testing::images;
using zengen::testing::TempDir;
using zengen::testing::write_bytes;

using zengen::testing::can_measure_peak;
using zengen::testing::peak_bytes;

TEST_CASE("image decoding: load_image's peak memory is the decoded pixels plus the tensor", "[data][image]") {
  if (!can_measure_peak()) {
    WARN("/proc/self/clear_refs is not writable: the peak cannot be measured here");
    return;
  }
  TempDir dir;
  // 4096 x 2048 RGB, rows of a gradient, compressed fast.
  const std::int64_t w = 4096, h = 2048;
  std::string raw;
  raw.reserve(static_cast<std::size_t>(h * (3 * w + 1)));
  for (std::int64_t y = 0; y < h; ++y) {
    raw += '\x01';  // Sub: every byte the one before plus 1
    for (std::int64_t i = 0; i < 3 * w; ++i) raw += '\x01';
  }
  const std::string path = dir.file("big.png");
  write_bytes(path, png_file(static_cast<std::uint32_t>(w), static_cast<std::uint32_t>(h), 8, 2, raw, "", 0, 1));
  std::string().swap(raw);
  const std::int64_t tensor = 3 * w * h * 4, rgba = 4 * w * h, rgb = 3 * w * h;
  Tensor t;
  const std::int64_t load = peak_bytes([&] { t = data::load_image(path); });
  REQUIRE(t.shape() == Shape{3, h, w});
  t = Tensor();
  Tensor r;
  const std::int64_t read = peak_bytes([&] { r = io::read_image(path); });
  REQUIRE(r.shape() == Shape{3, h, w});
  r = Tensor();
  INFO("load_image peak " << load / 1e6 << " MB (tensor " << tensor / 1e6 << " MB, decoded RGBA " << rgba / 1e6
                          << " MB); read_image peak " << read / 1e6 << " MB (decoded RGB " << rgb / 1e6 << " MB)");
  // The tensor plus one decoded buffer, and a little: no second float copy.
  REQUIRE(load < (tensor + rgba) * 11 / 10);
  REQUIRE(read < (tensor + rgb) * 11 / 10);
  WARN("peak memory: load_image " << load / 1e6 << " MB, read_image " << read / 1e6 << " MB for a " << w << " x " << h
                                  << " RGB PNG (tensor " << tensor / 1e6 << " MB)");
}
