// Image files built to hurt: truncated files of every format (an error,
// never an image padded with zeros), headers declaring more pixels than
// allowed, files over the byte cap, and formats stb_image knows but zengen
// refuses. For load_image (ImageFolder's loader), ImageFolder and
// io::read_image, which share one decoder.
#include <stb_image.h>
#include <stb_image_write.h>

#include <cstdint>
#include <string>
#include <vector>

#include "helpers.hpp"
#include "temp_dir.hpp"

using namespace zengen;
using zengen::testing::TempDir;
using zengen::testing::write_bytes;

namespace {

// A w x h RGB image with distinct pixel values, encoded in memory.
std::string encode(const std::string& format, int w, int h) {
  std::vector<std::uint8_t> px(static_cast<std::size_t>(w * h * 3));
  for (std::size_t i = 0; i < px.size(); ++i) px[i] = static_cast<std::uint8_t>(37 * i + 11);
  std::string out;
  auto append = [](void* context, void* data, int size) {
    static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<std::size_t>(size));
  };
  int ok = 0;
  if (format == "png") ok = stbi_write_png_to_func(append, &out, w, h, 3, px.data(), w * 3);
  if (format == "bmp") ok = stbi_write_bmp_to_func(append, &out, w, h, 3, px.data());
  if (format == "tga") ok = stbi_write_tga_to_func(append, &out, w, h, 3, px.data());
  if (format == "jpg") ok = stbi_write_jpg_to_func(append, &out, w, h, 3, px.data(), 90);
  REQUIRE(ok);
  return out;
}

// A 4x2 GIF, 2-colour palette, pixels 0 1 0 1 / 1 0 1 0 (LZW, min code size 2).
const std::string kGif = std::string("GIF89a\x04\x00\x02\x00\x80\x00\x00", 13) +
                         std::string("\xff\x00\x00\x00\x00\xff", 6) +               // red, blue
                         std::string("\x2c\x00\x00\x00\x00\x04\x00\x02\x00\x00", 10) +  // image descriptor
                         std::string("\x02\x03\x44\x7c\x57\x00\x3b", 7);

// Whether stb_image alone (from memory, no checks of ours) returns an image.
bool stb_accepts(const std::string& bytes) {
  int w = 0, h = 0, c = 0;
  stbi_uc* p = stbi_load_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()), static_cast<int>(bytes.size()),
                                     &w, &h, &c, 3);
  stbi_image_free(p);
  return p != nullptr;
}

}  // namespace

TEST_CASE("image decoding: a truncated file is an error, never a padded image", "[data][image]") {
  TempDir dir;
  for (const std::string format : {"png", "bmp", "tga", "jpg", "gif"}) {
    const std::string full = format == "gif" ? kGif : encode(format, 9, 7);
    const std::string path = dir.file("img." + format);
    write_bytes(path, full);
    const Tensor whole = data::load_image(path);
    const Tensor whole_raw = io::read_image(path);
    REQUIRE(whole.shape() == (format == "gif" ? Shape{3, 2, 4} : Shape{3, 7, 9}));

    // Every cut either fails with a FormatError naming the file, or (only
    // for bytes after the image data: a PNG's IEND, a GIF's trailer) gives
    // exactly the whole image.
    std::size_t refused = 0, stb_padded = 0, complete = 0;
    for (std::size_t len = 1; len < full.size(); ++len) {
      const std::string cut = full.substr(0, len);
      write_bytes(path, cut);
      INFO(format << " cut to " << len << " of " << full.size() << " bytes");
      try {
        const Tensor got = data::load_image(path);
        zengen::testing::require_close(got, whole, 0);
        zengen::testing::require_close(io::read_image(path), whole_raw, 0);
        ++complete;
      } catch (const FormatError& e) {
        REQUIRE_THAT(e.what(), Catch::Contains(path));
        REQUIRE_THROWS_AS(io::read_image(path), FormatError);
        ++refused;
        if (stb_accepts(cut)) ++stb_padded;
      }
    }
    INFO(format << ": " << refused << " cuts refused (stb_image alone returns an image for " << stb_padded
                << " of them), " << complete << " complete");
    REQUIRE(complete <= 5);  // only a trailer may go missing
    REQUIRE(refused + complete == full.size() - 1);
    if (format == "bmp" || format == "tga") REQUIRE(stb_padded > 0);  // what the check is for
  }
}

TEST_CASE("image decoding: the truncation check names the cause", "[data][image]") {
  TempDir dir;
  const std::string bmp = encode("bmp", 16, 16);
  write_bytes(dir.file("cut.bmp"), bmp.substr(0, bmp.size() - 100));
  REQUIRE_THROWS_WITH(data::load_image(dir.file("cut.bmp")),
                      Catch::Contains("truncated") && Catch::Contains("16 x 16") &&
                          Catch::Contains(std::to_string(bmp.size() - 100) + "-byte file"));
  write_bytes(dir.file("good.bmp"), bmp);
  data::ImageFolder folder(dir.path().string(), {.size = 4, .on_error = data::OnError::Skip});
  REQUIRE(folder.size() == 1);
  REQUIRE(folder.skipped().size() == 1);
  REQUIRE_THAT(folder.skipped()[0].reason, Catch::Contains("truncated"));
}

TEST_CASE("image decoding: max_file_bytes caps what is read", "[data][image]") {
  TempDir dir;
  const std::string png = encode("png", 5, 5);
  const std::string path = dir.file("a.png");
  write_bytes(path, png);
  const auto n = static_cast<std::int64_t>(png.size());
  REQUIRE(data::load_image(path, 3, 25, 255, n).shape() == Shape{3, 5, 5});
  REQUIRE_THROWS_AS(data::load_image(path, 3, 25, 255, n - 1), FormatError);
  REQUIRE_THROWS_WITH(data::load_image(path, 3, 25, 255, n - 1),
                      Catch::Contains(path) && Catch::Contains("max_file_bytes = " + std::to_string(n - 1)));
  REQUIRE(io::read_image(path, 25, n).shape() == Shape{3, 5, 5});
  REQUIRE_THROWS_WITH(io::read_image(path, 25, n - 1), Catch::Contains("max_file_bytes"));
  REQUIRE_THROWS_WITH(io::read_image(path, 24, n), Catch::Contains("5 x 5 = 25 pixels, more than max_pixels = 24"));
  REQUIRE_THROWS_AS(io::read_image(path, 0, n), ValueError);
  REQUIRE_THROWS_AS(data::load_image(path, 3, 25, 255, 0), ValueError);

  write_bytes(dir.file("b.png"), png);
  REQUIRE_THROWS_AS(data::ImageFolder(dir.path().string(), {.size = 2, .on_error = data::OnError::Raise,
                                                            .max_file_bytes = n - 1}),
                    FormatError);
  REQUIRE(data::ImageFolder(dir.path().string(), {.size = 2, .max_file_bytes = n}).size() == 2);
  REQUIRE_THROWS_AS(data::ImageFolder(dir.path().string(), {.max_file_bytes = 0}), ValueError);
}

TEST_CASE("image decoding: a header declaring gigapixels is refused before decoding", "[data][image]") {
  TempDir dir;
  // A 54-byte BMP header declaring 30000 x 30000 x 24 bits (2.7 GB of pixels) and no data.
  auto bmp_header = [](std::int32_t side) {
    std::string bmp = encode("bmp", 1, 1).substr(0, 54);
    for (int i = 0; i < 4; ++i) bmp[18 + i] = bmp[22 + i] = static_cast<char>((side >> (8 * i)) & 0xff);
    return bmp;
  };
  write_bytes(dir.file("huge.bmp"), bmp_header(30000));
  REQUIRE_THROWS_WITH(data::load_image(dir.file("huge.bmp")),
                      Catch::Contains("30000 x 30000 = 900000000 pixels, more than max_pixels"));
  REQUIRE_THROWS_WITH(io::read_image(dir.file("huge.bmp")), Catch::Contains("more than max_pixels"));
  // 3000 x 3000 passes the default cap; then the missing data is caught.
  write_bytes(dir.file("big.bmp"), bmp_header(3000));
  REQUIRE_THROWS_WITH(data::load_image(dir.file("big.bmp")), Catch::Contains("truncated: the 3000 x 3000 image"));
  REQUIRE_THROWS_WITH(data::load_image(dir.file("big.bmp"), 3, 3000 * 3000 - 1), Catch::Contains("max_pixels"));
}

TEST_CASE("image decoding: formats zengen does not offer are refused by signature", "[data][image]") {
  TempDir dir;
  const std::string pnm = std::string("P6\n1 1\n255\n") + std::string("\xff\x00\x00", 3);
  const std::string hdr = "#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 1 +X 1\n" + std::string("\x80\x80\x80\x81", 4);
  int w = 0, h = 0, c = 0;
  // stb_image itself would decode both.
  REQUIRE(stbi_info_from_memory(reinterpret_cast<const stbi_uc*>(pnm.data()), static_cast<int>(pnm.size()), &w, &h, &c));
  REQUIRE(stbi_info_from_memory(reinterpret_cast<const stbi_uc*>(hdr.data()), static_cast<int>(hdr.size()), &w, &h, &c));
  write_bytes(dir.file("pnm.png"), pnm);
  write_bytes(dir.file("hdr.jpg"), hdr);
  write_bytes(dir.file("psd.png"), "8BPS\x00\x01");
  REQUIRE_THROWS_WITH(data::load_image(dir.file("pnm.png")),
                      Catch::Contains("pnm.png") && Catch::Contains("a PNM file: zengen reads PNG, JPEG, BMP, TGA and GIF only"));
  REQUIRE_THROWS_WITH(io::read_image(dir.file("hdr.jpg")), Catch::Contains("a Radiance HDR file"));
  REQUIRE_THROWS_WITH(data::load_image(dir.file("psd.png")), Catch::Contains("a PSD file"));
  write_bytes(dir.file("empty.png"), "");
  REQUIRE_THROWS_WITH(data::load_image(dir.file("empty.png")), Catch::Contains("the file is empty"));
}

TEST_CASE("image decoding: a JPEG Huffman table of more than 256 codes is refused before stb sees it",
          "[data][image]") {
  // stb_image 2.27 (Debian's libstb) writes past its tables for such a
  // table (found by fuzz/: the image target); the decoder checks first.
  TempDir dir;
  std::string jpg = encode("jpg", 8, 8);
  const std::size_t dht = jpg.find("\xff\xc4");
  REQUIRE(dht != std::string::npos);
  jpg[dht + 5 + 14] = jpg[dht + 5 + 15] = static_cast<char>(255);  // counts of 15- and 16-bit codes
  write_bytes(dir.file("dht.jpg"), jpg);
  REQUIRE_THROWS_AS(data::load_image(dir.file("dht.jpg")), FormatError);
  REQUIRE_THROWS_WITH(data::load_image(dir.file("dht.jpg")),
                      Catch::Contains("dht.jpg") && Catch::Contains("JPEG: a Huffman table (DHT, class DC, id 0) declares"));
  REQUIRE_THROWS_WITH(io::read_image(dir.file("dht.jpg")), Catch::Contains("more than the 256 a table holds"));
  // The same table after a scan (as progressive JPEGs have them), behind stuffed and fill bytes.
  std::string late = encode("jpg", 8, 8);
  const std::size_t eoi = late.rfind("\xff\xd9");
  const std::string table = std::string("\xff\xc4\x00\x13\x00", 5) + std::string(14, '\0') + std::string(2, '\xff');
  late.insert(eoi, std::string("\xff\x00\xff\xd3\xff\xff", 6) + table);
  write_bytes(dir.file("late.jpg"), late);
  REQUIRE_THROWS_WITH(data::load_image(dir.file("late.jpg")), Catch::Contains("declares 510 codes"));
  // A file cut inside the counts: stb reads the rest as zeros, so the counts
  // that are there are what it sees (found by the fuzzer too).
  std::string cut = encode("jpg", 8, 8);
  const std::size_t first = cut.find("\xff\xc4");
  cut = cut.substr(0, first + 5) + std::string("\x00\xf0\xf0", 3);
  write_bytes(dir.file("cut.jpg"), cut);
  REQUIRE_THROWS_WITH(data::load_image(dir.file("cut.jpg")), Catch::Contains("declares 480 codes"));
}
