// idx files, round 2 (issue 16): labels outside the classes, datasets that
// can never give a batch, wrong magics reported as such (not as truncated
// or trailing data), and the raw bytes freed as they are converted.
#include <malloc.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "helpers.hpp"
#include "memory_peak.hpp"
#include "temp_dir.hpp"

using namespace zengen;
using zengen::testing::TempDir;
using zengen::testing::write_bytes;

namespace {

std::string be32(std::uint32_t v) {
  std::string s;
  for (int i = 3; i >= 0; --i) s += static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}

std::string images_idx(std::uint32_t n, std::uint32_t rows, std::uint32_t cols, char fill = 0) {
  return std::string("\0\0\x08\x03", 4) + be32(n) + be32(rows) + be32(cols) +
         std::string(static_cast<std::size_t>(n) * rows * cols, fill);
}

std::string labels_idx(const std::vector<int>& labels) {
  std::string s = std::string("\0\0\x08\x01", 4) + be32(static_cast<std::uint32_t>(labels.size()));
  for (int l : labels) s += static_cast<char>(l);
  return s;
}

void write_gz(const std::string& path, const std::string& bytes, int level = 6) {
  std::filesystem::remove(path);
  gzFile f = gzopen(path.c_str(), level == 1 ? "wb1" : "wb");
  REQUIRE(f != nullptr);
  REQUIRE(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())) == static_cast<int>(bytes.size()));
  REQUIRE(gzclose(f) == Z_OK);
}

void write_mnist(const TempDir& dir, const std::string& images, const std::string& labels) {
  write_bytes(dir.file("train-images-idx3-ubyte"), images);
  write_bytes(dir.file("train-labels-idx1-ubyte"), labels);
}

}  // namespace

TEST_CASE("mnist: a label outside the classes is a FormatError naming the file, the index and the value",
          "[data]") {
  TempDir dir;
  write_mnist(dir, images_idx(4, 2, 2), labels_idx({3, 9, 10, 255}));
  const std::string labels = dir.file("train-labels-idx1-ubyte");
  REQUIRE_THROWS_AS(data::MNIST(dir.path().string()), FormatError);
  REQUIRE_THROWS_WITH(data::MNIST(dir.path().string()),
                      "MNIST: '" + labels + "': label 2 is 10, outside the 10 classes (0 to 9)");
  REQUIRE_THROWS_WITH(data::FashionMNIST(dir.path().string()),
                      "FashionMNIST: '" + labels + "': label 2 is 10, outside the 10 classes (0 to 9)");
  write_mnist(dir, images_idx(4, 2, 2), labels_idx({3, 9, 0, 255}));
  REQUIRE_THROWS_WITH(data::MNIST(dir.path().string()), Catch::Contains("label 3 is 255, outside the 10 classes"));
  write_mnist(dir, images_idx(4, 2, 2), labels_idx({3, 9, 0, 1}));
  REQUIRE(data::MNIST(dir.path().string()).size() == 4);
}

TEST_CASE("mnist: files with no image, or images of no pixels, are errors at construction", "[data]") {
  TempDir dir;
  write_mnist(dir, images_idx(0, 28, 28), labels_idx({}));
  REQUIRE_THROWS_WITH(data::MNIST(dir.path().string()),
                      "MNIST: '" + dir.file("train-images-idx3-ubyte") +
                          "' holds no images (shape [0, 1, 28, 28]): a dataset needs at least one example");
  write_mnist(dir, images_idx(3, 0, 28), labels_idx({1, 2, 3}));
  REQUIRE_THROWS_AS(data::MNIST(dir.path().string()), FormatError);
  REQUIRE_THROWS_WITH(data::read_idx_images(dir.file("train-images-idx3-ubyte")),
                      "read_idx_images: '" + dir.file("train-images-idx3-ubyte") +
                          "': dims [3, 0, 28] declare images of 0 x 28 pixels; an image needs at least one row and "
                          "one column");
  write_bytes(dir.file("cols0"), images_idx(3, 28, 0));
  REQUIRE_THROWS_WITH(data::read_idx_images(dir.file("cols0")), Catch::Contains("images of 28 x 0 pixels"));
}

TEST_CASE("idx: a wrong magic is reported before the dims and the data are read", "[data]") {
  TempDir dir;
  // Image data behind a label magic (1 dim): read as labels, it would have
  // 'trailing bytes'; image dims behind a label magic, 'truncated'.
  const std::string images = images_idx(2, 3, 3, 7);
  std::string as_labels = images;
  as_labels[3] = 1;
  write_bytes(dir.file("a"), as_labels);
  REQUIRE_THROWS_WITH(data::read_idx_images(dir.file("a")),
                      "read_idx_images: '" + dir.file("a") +
                          "': not an idx image file: expected images (magic 2051 = 0x00000803: u8 [N, rows, cols]), "
                          "but this is a label file (magic 2049)");
  std::string four = images;
  four[3] = 4;
  write_bytes(dir.file("b"), four);
  REQUIRE_THROWS_WITH(data::read_idx_images(dir.file("b")),
                      Catch::Contains("not an idx image file: expected images") &&
                          Catch::Contains("but this is magic 2052 = 0x00000804"));
  REQUIRE_THROWS_WITH(data::read_idx_labels(dir.file("b")),
                      Catch::Contains("not an idx label file: expected labels (magic 2049"));
  // Not idx at all: a PNG.
  write_bytes(dir.file("c"), std::string("\x89PNG\r\n\x1a\n", 8) + std::string(20, '\0'));
  REQUIRE_THROWS_WITH(data::read_idx(dir.file("c")),
                      Catch::Contains("not an idx file (bad magic 0x89504E47): an IDX file starts with two zero bytes"));
  std::string type7 = labels_idx({1, 2});
  type7[2] = 7;
  write_gz(dir.file("c.gz"), type7);
  REQUIRE_THROWS_WITH(data::read_idx_labels(dir.file("c.gz")),
                      Catch::Contains("not an idx file (bad magic 0x00000701): unknown data type byte 0x07"));
}

using zengen::testing::can_measure_peak;
using zengen::testing::peak_bytes;

TEST_CASE("idx: the raw bytes are freed as they are converted (a gzip bomb holds only the tensor)", "[data]") {
  if (!can_measure_peak()) {
    WARN("/proc/self/clear_refs is not writable: the peak cannot be measured here");
    return;
  }
  TempDir dir;
  // 32 MiB of zero pixels: a 32 KiB gzip file, a 128 MiB float32 tensor.
  const std::uint32_t n = 512, side = 256;
  write_gz(dir.file("bomb.gz"), images_idx(n, side, side), 1);
  const std::int64_t tensor = std::int64_t{n} * side * side * 4;
  for (int reader = 0; reader < 2; ++reader) {
    Tensor t;
    const std::int64_t peak = peak_bytes(
        [&] { t = reader == 0 ? data::read_idx_images(dir.file("bomb.gz")) : data::read_idx(dir.file("bomb.gz")); });
    REQUIRE(t.numel() * 4 == tensor);
    INFO("peak " << peak / 1e6 << " MB for a " << tensor / 1e6 << " MB tensor from " << n * side * side / 1e6
                 << " MB of raw bytes");
    // The tensor and one 4 MiB chunk, not the 32 MiB of raw bytes beside it.
    REQUIRE(peak < tensor + (std::int64_t{12} << 20));
  }
}
