// Peak memory while decoding (issue 16): load_image and read_image hold
// at most the decoded 8-bit pixels beside the float tensor, never a second
// float copy, and the file's bytes are freed before the tensor exists.
#include <malloc.h>

#include <cstdint>
#include <fstream>
#include <string>

#include "data/image_builders.hpp"
#include "helpers.hpp"
#include "temp_dir.hpp"

using namespace zengen;
using namespace zengen::testing::images;
using zengen::testing::TempDir;
using zengen::testing::write_bytes;

namespace {

std::int64_t status_kib(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field, 0) == 0) return std::stoll(line.substr(std::string(field).size()));
  return -1;
}

// The peak resident memory (bytes) of f() above what was resident before.
template <typename F>
std::int64_t peak_bytes(F&& f) {
  // Large blocks from mmap, returned to the system when freed: a fixed
  // threshold turns off glibc's raising it (up to 32 MiB) after a large
  // free, which keeps freed blocks resident and would count them.
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  cpu_allocator::empty_cache();
  std::ofstream("/proc/self/clear_refs") << "5";  // resets VmHWM to the current resident size
  const std::int64_t before = status_kib("VmRSS:");
  f();
  return (status_kib("VmHWM:") - before) * 1024;
}

}  // namespace

TEST_CASE("image decoding: load_image's peak memory is the decoded pixels plus the tensor", "[data][image]") {
  {
    std::ofstream probe("/proc/self/clear_refs");
    if (!probe) {
      WARN("/proc/self/clear_refs is not writable: the peak cannot be measured here");
      return;
    }
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
