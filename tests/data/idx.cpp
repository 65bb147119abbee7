// IDX files: every data type, plain and gzipped, the image/label helpers,
// and every kind of malformed file.
#include <zlib.h>

#include <cstdint>
#include <random>

#include "helpers.hpp"
#include "temp_dir.hpp"

using namespace zengen;
using zengen::testing::read_bytes;
using zengen::testing::require_values;
using zengen::testing::TempDir;
using zengen::testing::write_bytes;

namespace {

std::string be(std::uint64_t v, int bytes) {
  std::string s;
  for (int i = bytes - 1; i >= 0; --i) s += static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}

/// An IDX file: magic (0, 0, type, ndim), big-endian dims, then `data`.
std::string idx(unsigned char type, const std::vector<std::uint32_t>& dims, const std::string& data) {
  std::string s{'\0', '\0', static_cast<char>(type), static_cast<char>(dims.size())};
  for (auto d : dims) s += be(d, 4);
  return s + data;
}

std::string u8s(std::initializer_list<int> values) {
  std::string s;
  for (int v : values) s += static_cast<char>(v);
  return s;
}

void write_gz(const std::string& path, const std::string& bytes) {
  std::filesystem::remove(path);  // see write_bytes: no truncate-and-rewrite
  gzFile f = gzopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  REQUIRE(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())) == static_cast<int>(bytes.size()));
  REQUIRE(gzclose(f) == Z_OK);
}

template <typename Fn>
void require_format_error(Fn&& fn, const std::string& path, const std::string& message) {
  INFO("expected a FormatError containing: " << message);
  REQUIRE_THROWS_AS(fn(path), FormatError);
  REQUIRE_THROWS_WITH(fn(path), Catch::Contains(path) && Catch::Contains(message));
}

void require_bad_idx(const TempDir& dir, const std::string& bytes, const std::string& message) {
  const std::string path = dir.file("bad-idx");
  write_bytes(path, bytes);
  require_format_error(data::read_idx, path, message);
  write_gz(path + ".gz", bytes);  // the same problem behind gzip
  require_format_error(data::read_idx, path + ".gz", message);
}

// 2 images of 2x3 pixels, and 4 labels.
const std::string kImages = idx(0x08, {2, 2, 3}, u8s({0, 51, 102, 153, 204, 255, 1, 2, 3, 4, 5, 6}));
const std::string kLabels = idx(0x08, {4}, u8s({7, 2, 1, 0}));

}  // namespace

TEST_CASE("idx: every data type reads with its raw values, plain and gzipped", "[data]") {
  TempDir dir;
  struct Case {
    std::string name, bytes;
    DType dtype;
    Shape shape;
    std::vector<double> values;
  };
  const std::vector<Case> cases{
      {"u8", kImages, DType::Float32, {2, 2, 3}, {0, 51, 102, 153, 204, 255, 1, 2, 3, 4, 5, 6}},
      {"i8", idx(0x09, {3}, u8s({0x80, 0xff, 0x7f})), DType::Float32, {3}, {-128, -1, 127}},
      {"i16", idx(0x0B, {1, 3}, be(0x8000, 2) + be(0xfffe, 2) + be(300, 2)), DType::Float32, {1, 3},
       {-32768, -2, 300}},
      {"i32", idx(0x0C, {3}, be(0x80000000u, 4) + be(0xffffffffu, 4) + be(0x7fffffff, 4)), DType::Int64, {3},
       {-2147483648.0, -1, 2147483647.0}},
      {"f32", idx(0x0D, {2}, be(0x3fc00000u, 4) + be(0xbe800000u, 4)), DType::Float32, {2}, {1.5, -0.25}},
      {"f64", idx(0x0E, {1}, be(0x3fb999999999999aull, 8)), DType::Float64, {1}, {0.1}},
      {"0-d", idx(0x08, {}, u8s({42})), DType::Float32, {}, {42}},
      {"empty", idx(0x08, {0, 28}, ""), DType::Float32, {0, 28}, {}},
  };
  for (const auto& c : cases) {
    INFO("case " << c.name);
    const std::string plain = dir.file(c.name), gz = dir.file(c.name + ".gz"), gz_no_suffix = dir.file(c.name + "-z");
    write_bytes(plain, c.bytes);
    write_gz(gz, c.bytes);
    write_gz(gz_no_suffix, c.bytes);  // detected by the 1f 8b magic, not the name
    REQUIRE(read_bytes(gz_no_suffix).substr(0, 2) == "\x1f\x8b");
    for (const auto& path : {plain, gz, gz_no_suffix}) {
      const Tensor t = data::read_idx(path);
      REQUIRE(t.dtype() == c.dtype);
      require_values(t, c.shape, c.values, 0.0);
    }
  }
}

TEST_CASE("idx: images and labels in MNIST's layout", "[data]") {
  TempDir dir;
  const std::string images = dir.file("images-idx3-ubyte"), labels = dir.file("labels-idx1-ubyte.gz");
  write_bytes(images, kImages);
  write_gz(labels, kLabels);

  const Tensor x = data::read_idx_images(images);
  REQUIRE(x.dtype() == DType::Float32);
  require_values(x, {2, 1, 2, 3},
                 {0, 0.2, 0.4, 0.6, 0.8, 1, 1 / 255.0, 2 / 255.0, 3 / 255.0, 4 / 255.0, 5 / 255.0, 6 / 255.0});
  const Tensor y = data::read_idx_labels(labels);
  REQUIRE(y.dtype() == DType::Int64);
  REQUIRE(y.to_vector<std::int64_t>() == std::vector<std::int64_t>{7, 2, 1, 0});

  // Mislabelled files: each helper checks its magic.
  require_format_error(data::read_idx_labels, images,
                       "expected labels (magic 2049 = 0x00000801: u8 [N]), but this is an image file (magic 2051)");
  require_format_error(data::read_idx_images, labels, "expected images (magic 2051");
  require_format_error(data::read_idx_images, labels, "but this is a label file (magic 2049)");
  const std::string floats = dir.file("floats");
  write_bytes(floats, idx(0x0D, {1, 1, 1}, be(0, 4)));
  require_format_error(data::read_idx_images, floats, "but this is magic 3331 = 0x00000D03");
  const std::string images_2d = dir.file("images-2d");
  write_bytes(images_2d, idx(0x08, {2, 2}, u8s({1, 2, 3, 4})));
  require_format_error(data::read_idx_images, images_2d, "but this is magic 2050 = 0x00000802");
}

TEST_CASE("idx: malformed files are FormatErrors that say what is wrong", "[data]") {
  TempDir dir;
  require_bad_idx(dir, "", "file is 0 bytes long");
  require_bad_idx(dir, u8s({0, 0, 8}), "too short for the 4-byte IDX magic");
  require_bad_idx(dir, u8s({0x12, 0x34, 8, 1}) + be(1, 4) + "x", "bad magic 0x12340801");
  require_bad_idx(dir, u8s({0, 0, 0x0A, 1}) + be(1, 4) + "x", "unknown data type byte 0x0A");
  require_bad_idx(dir, u8s({0, 0, 8, 3}) + be(10, 4) + be(28, 2), "declares 3 dims, but the file ends inside them");
  require_bad_idx(dir, kImages.substr(0, kImages.size() - 1),
                  "truncated: dims [2, 2, 3] of u8 declare 12 data bytes, but the file");
  require_bad_idx(dir, kImages.substr(0, kImages.size() - 1), "holds only 11");
  require_bad_idx(dir, idx(0x0C, {2}, be(1, 4) + be(2, 3)), "dims [2] of i32 declare 8 data bytes");
  require_bad_idx(dir, kLabels + "x", "trailing bytes: the file");
  require_bad_idx(dir, kLabels + "x", "more than the 4 data bytes its dims [4] declare");
  require_bad_idx(dir, idx(0x08, {65536, 32769}, ""), "dims [65536, 32769] declare more than 2^31");
  // At the limit: allowed, and a short file is reported without first
  // allocating the 2 GiB its dims claim.
  require_bad_idx(dir, idx(0x08, {65536, 32768}, "abc"), "declare 2147483648 data bytes, but the file");
  require_bad_idx(dir, idx(0x0E, {0xffffffffu, 0xffffffffu, 0xffffffffu, 0}, ""), "declare more than 2^31");
}

TEST_CASE("idx: corrupt gzip data is a FormatError, a missing file an IOError", "[data]") {
  TempDir dir;
  // Enough data that the deflate stream is not trivially short.
  std::string pixels;
  for (int i = 0; i < 4096; ++i) pixels += static_cast<char>((i * 7) % 251);
  const std::string bytes = idx(0x08, {4, 32, 32}, pixels);
  const std::string good = dir.file("good.gz");
  write_gz(good, bytes);
  REQUIRE(data::read_idx(good).shape() == Shape{4, 32, 32});
  const std::string gz = read_bytes(good);

  const std::string cut = dir.file("cut.gz");
  write_bytes(cut, gz.substr(0, gz.size() / 2));
  require_format_error(data::read_idx, cut, "corrupt gzip data (unexpected end of file)");

  const std::string no_trailer = dir.file("no-trailer.gz");  // deflate stream complete, CRC and size missing
  write_bytes(no_trailer, gz.substr(0, gz.size() - 8));
  require_format_error(data::read_idx, no_trailer, "corrupt gzip data");

  std::string flipped = gz;
  flipped[gz.size() - 8] = static_cast<char>(flipped[gz.size() - 8] ^ 0x55);  // the CRC-32
  const std::string bad_crc = dir.file("bad-crc.gz");
  write_bytes(bad_crc, flipped);
  require_format_error(data::read_idx, bad_crc, "corrupt gzip data (incorrect data check)");

  std::string garbage = gz;
  for (std::size_t i = 12; i < 40; ++i) garbage[i] = static_cast<char>(0xff);  // inside the deflate stream
  const std::string bad_stream = dir.file("bad-stream.gz");
  write_bytes(bad_stream, garbage);
  require_format_error(data::read_idx, bad_stream, "corrupt gzip data");

  const std::string missing = dir.file("missing-idx3-ubyte");
  REQUIRE_THROWS_AS(data::read_idx(missing), IOError);
  REQUIRE_THROWS_WITH(data::read_idx_images(missing),
                      Catch::Contains(missing) && Catch::Contains("No such file or directory"));
  REQUIRE_THROWS_AS(data::read_idx(dir.path().string()), IOError);
}

TEST_CASE("idx: mutated files load or fail with a FormatError, nothing else", "[data]") {
  TempDir dir;
  const std::string path = dir.file("mutated"), gz_path = dir.file("mutated.gz");
  write_gz(gz_path, kImages);
  const std::string gz_images = read_bytes(gz_path);
  std::mt19937 rng(99);
  int loaded = 0, rejected = 0;
  for (int i = 0; i < 1000; ++i) {
    std::string m = i % 2 ? kImages : kLabels;
    const auto pos = [&] { return static_cast<std::size_t>(rng() % m.size()); };
    switch (i % 3) {
      case 0: m[pos()] = static_cast<char>(rng()); break;
      case 1: m.resize(pos()); break;
      case 2: m.insert(pos(), std::string(1 + rng() % 4, static_cast<char>(rng()))); break;
    }
    write_bytes(path, m);
    std::string gz = gz_images;
    gz[rng() % gz.size()] = static_cast<char>(rng());  // damage the compressed stream
    write_bytes(gz_path, gz);
    for (const auto& p : {path, gz_path}) {
      try {
        data::read_idx(p);
        ++loaded;
      } catch (const FormatError&) {
        ++rejected;
      }
    }
  }
  INFO(loaded << " loaded, " << rejected << " rejected");
  REQUIRE(rejected > 1000);
}

TEST_CASE("idx: declared sizes are checked against the file before anything is allocated", "[data]") {
  TempDir dir;
  const std::string path = dir.file("huge-idx");
  // 12 bytes declaring 2^31 u8 elements (2 GiB), the largest count allowed:
  // refused from the file size, not by reading.
  write_bytes(path, idx(0x08, {1u << 16, 1u << 15}, ""));
  require_format_error(data::read_idx, path,
                       "truncated: dims [65536, 32768] of u8 declare 2147483648 data bytes, but the file holds only 0");
  // f64 dims whose byte count exceeds 2^31 * 8: still exact, no overflow.
  write_bytes(path, idx(0x0E, {1u << 31}, "12345678"));
  require_format_error(data::read_idx, path, "declare 17179869184 data bytes, but the file holds only 8");
  // Counts whose product overflows 64 bits are refused by the element cap.
  write_bytes(path, idx(0x08, {0xffffffffu, 0xffffffffu, 0xffffffffu}, ""));
  require_format_error(data::read_idx, path, "more than 2^31");
  // A zero dim makes the count 0, but the other sizes still make the
  // strides: their product is capped too (the idx fuzzer found the overflow).
  write_bytes(path, idx(0x08, {0, 1u << 16, 1u << 15}, ""));
  REQUIRE(data::read_idx(path).shape() == Shape{0, 1 << 16, 1 << 15});
  write_bytes(path, idx(0x08, {0, 0xffffffffu}, ""));
  require_format_error(data::read_idx, path, "(counting sizes of 0 as 1, as the strides do)");
  write_bytes(path, idx(0x08, {0, 0xffff00ffu, 0xff130000u}, ""));
  require_format_error(data::read_idx, path, "more than 2^31");
  // Behind gzip: a 40-byte file cannot inflate to 2 GiB (deflate: at most 1032:1).
  write_gz(path + ".gz", idx(0x08, {1u << 16, 1u << 15}, ""));
  require_format_error(data::read_idx, path + ".gz", "but the file (after gunzip) can hold at most ");
  // read_idx_images checks the magic first: a 2-dim file is not an image file.
  require_format_error(data::read_idx_images, path + ".gz", "not an idx image file");
}
