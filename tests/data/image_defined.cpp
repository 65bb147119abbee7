// No pixel the decoder did not write (issue 16): files for which stb_image
// 2.27 alone hands out uninitialised memory (palette indices past a PNG's
// PLTE or a BMP's palette; JPEG scans with undefined tables, a component
// without a scan, a scan cut short by a missing restart marker) are
// refused with a FormatError naming file, format, field and value; every
// decode gives the same result under different heap and stack patterns;
// and top-down BMPs load.
#include <stb_image.h>

#include <cstdint>
#include <string>
#include <vector>

#include "data/image_builders.hpp"
#include "helpers.hpp"
#include "temp_dir.hpp"

using namespace zengen;
using namespace zengen::testing::images;
using zengen::testing::TempDir;
using zengen::testing::write_bytes;

namespace {

// load_image and read_image on the file, each under two heap and stack
// patterns: the outcomes must agree.
void require_deterministic(const std::string& path) {
  INFO(path);
  const Outcome a = decode_with_pattern([&] { return data::load_image(path); }, 0x55);
  const Outcome b = decode_with_pattern([&] { return data::load_image(path); }, 0xAA);
  REQUIRE(a == b);
  const Outcome c = decode_with_pattern([&] { return io::read_image(path); }, 0x0F);
  const Outcome d = decode_with_pattern([&] { return io::read_image(path); }, 0xF0);
  REQUIRE(c == d);
  REQUIRE(a.ok == c.ok);
}

// Whether stb_image alone (from memory, no checks of ours) gives pixels
// that differ between two heap and stack patterns: what the checks are for.
bool stb_alone_differs(const std::string& bytes) {
  auto decode = [&] {
    int w = 0, h = 0, c = 0;
    stbi_uc* p = stbi_load_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()),
                                       static_cast<int>(bytes.size()), &w, &h, &c, 3);
    if (!p) throw FormatError("stb refuses it");
    Tensor t = Tensor::empty({h, w, 3}, {.dtype = DType::Float32});
    for (int i = 0; i < w * h * 3; ++i) t.data<float>()[i] = p[i];
    stbi_image_free(p);
    return t;
  };
  const Outcome a = decode_with_pattern(decode, 0x55), b = decode_with_pattern(decode, 0xAA);
  return a.ok && b.ok && !(a == b);
}

}  // namespace

TEST_CASE("image decoding: a PNG palette index past the PLTE entries is a FormatError", "[data][image]") {
  TempDir dir;
  // 8-bit, 4 x 2, two colours; index 5 at (2, 0) and 200 at (3, 0).
  const std::string bad8 = png_file(4, 2, 8, 3, raw_rows({{0, 0, 1, 5, 200}, {0, 1, 0, 1, 0}}), plte(2));
  CHECK(stb_alone_differs(bad8));  // stb's palette lives on its stack
  write_bytes(dir.file("bad8.png"), bad8);
  REQUIRE_THROWS_AS(data::load_image(dir.file("bad8.png")), FormatError);
  REQUIRE_THROWS_WITH(data::load_image(dir.file("bad8.png")),
                      "load_image: '" + dir.file("bad8.png") +
                          "': PNG: the pixel at (2, 0) has palette index 5, but the PLTE chunk holds 2 colours "
                          "(indices 0 to 1)");
  REQUIRE_THROWS_WITH(io::read_image(dir.file("bad8.png")), Catch::Contains("palette index 5"));
  write_bytes(dir.file("good.png"), png_file(4, 2, 8, 3, raw_rows({{0, 0, 1, 1, 0}, {0, 1, 0, 1, 0}}), plte(2)));
  data::ImageFolder folder(dir.path().string(), {.size = 2, .on_error = data::OnError::Skip});
  REQUIRE(folder.size() == 1);
  REQUIRE(folder.skipped().size() == 1);
  REQUIRE_THAT(folder.skipped()[0].reason, Catch::Contains("palette index 5"));
  require_deterministic(dir.file("bad8.png"));
  require_deterministic(dir.file("good.png"));
}

TEST_CASE("image decoding: PNG palette indices are checked after the row filters, at every depth and in Adam7",
          "[data][image]") {
  TempDir dir;
  // 4-bit: indices 0, 15, 2 in one row; three colours.
  write_bytes(dir.file("d4.png"), png_file(3, 1, 4, 3, raw_rows({{0, 0x0F, 0x20}}), plte(3)));
  REQUIRE_THROWS_WITH(data::load_image(dir.file("d4.png")),
                      Catch::Contains("PNG: the pixel at (1, 0) has palette index 15, but the PLTE chunk holds 3 colours"));
  // 1-bit: one colour, index 1 at (9, 0).
  write_bytes(dir.file("d1.png"), png_file(10, 1, 1, 3, raw_rows({{0, 0x00, 0x40}}), plte(1)));
  REQUIRE_THROWS_WITH(data::load_image(dir.file("d1.png")),
                      Catch::Contains("(9, 0) has palette index 1, but the PLTE chunk holds 1 colour (indices 0 to 0)"));
  // Sub filter: the raw bytes are all 1, the indices 1, 2, 3.
  write_bytes(dir.file("sub.png"), png_file(3, 1, 8, 3, raw_rows({{1, 1, 1, 1}}), plte(3)));
  REQUIRE_THROWS_WITH(data::load_image(dir.file("sub.png")), Catch::Contains("(2, 0) has palette index 3"));
  // Adam7, 3 x 3: passes 1, 4, 5, 6, 7 hold (0,0) | (2,0) | (0,2) (2,2) | (1,0) / (1,2) | (0,1) (1,1) (2,1).
  const std::string adam = raw_rows({{0, 0}, {0, 1}, {0, 0, 1}, {0, 1}, {0, 0}, {0, 1, 9, 0}});
  write_bytes(dir.file("adam7.png"), png_file(3, 3, 8, 3, adam, plte(2), 1));
  REQUIRE_THROWS_WITH(data::load_image(dir.file("adam7.png")),
                      Catch::Contains("PNG: the pixel at (1, 1) has palette index 9, but the PLTE chunk holds 2"));
  // The same with index 1 there loads, with the PLTE's colours.
  const std::string adam_ok = raw_rows({{0, 0}, {0, 1}, {0, 0, 1}, {0, 1}, {0, 0}, {0, 1, 1, 0}});
  write_bytes(dir.file("adam7-ok.png"), png_file(3, 3, 8, 3, adam_ok, plte(2), 1));
  const Tensor t = io::read_image(dir.file("adam7-ok.png"));
  REQUIRE(t.shape() == Shape{3, 3, 3});
  // (1, 1) is colour 1 = (11, 12, 13); (0, 0) colour 0 = (1, 2, 3).
  REQUIRE(t.data<float>()[0 * 9 + 1 * 3 + 1] == Approx(11 / 255.0f));
  REQUIRE(t.data<float>()[2 * 9 + 0] == Approx(3 / 255.0f));
  // Paeth and Average filters on a full palette: loads, same as stb alone.
  write_bytes(dir.file("paeth.png"), png_file(3, 2, 8, 3, raw_rows({{4, 1, 1, 0}, {3, 0, 1, 0}}), plte(4)));
  REQUIRE(io::read_image(dir.file("paeth.png")).shape() == Shape{3, 2, 3});
  for (const char* name : {"d4.png", "d1.png", "sub.png", "adam7.png", "adam7-ok.png", "paeth.png"})
    require_deterministic(dir.file(name));
}

TEST_CASE("image decoding: PNG image data that ends early or does not inflate is named", "[data][image]") {
  TempDir dir;
  // Two rows declared, one given (a palette image: zengen inflates it to check the indices).
  write_bytes(dir.file("short.png"), png_file(4, 2, 8, 3, raw_rows({{0, 0, 1, 0, 1}}), plte(2)));
  REQUIRE_THROWS_WITH(data::load_image(dir.file("short.png")),
                      Catch::Contains("PNG: the image data (IDAT) inflates to 5 bytes, fewer than the 10 a 4 x 2 "
                                      "image of bit depth 8 needs"));
  // A bad filter type.
  write_bytes(dir.file("filter.png"), png_file(2, 1, 8, 3, raw_rows({{7, 0, 1}}), plte(1)));
  REQUIRE_THROWS_WITH(data::load_image(dir.file("filter.png")),
                      Catch::Contains("PNG: row 0 has filter type 7; allowed 0 to 4"));
  // A corrupt deflate stream.
  std::string z = png_file(4, 2, 8, 3, raw_rows({{0, 0, 1, 0, 1}, {0, 1, 0, 1, 0}}), plte(2));
  const std::size_t idat = z.find("IDAT");
  z[idat + 4 + 2] = static_cast<char>(0xff);  // the first deflate block header: block type 3
  write_bytes(dir.file("inflate.png"), z);
  REQUIRE_THROWS_WITH(data::load_image(dir.file("inflate.png")),
                      Catch::Contains("PNG: the image data (IDAT) does not inflate (zlib: invalid block type)"));
}

TEST_CASE("image decoding: a BMP palette index past the palette is a FormatError", "[data][image]") {
  TempDir dir;
  // 8-bit, biClrUsed 2, two palette entries; index 200 at (3, 1).
  BmpSpec s;
  s.colours_used = 2;
  s.pixels = {0, 1, 1, 0, 1, 0, 1, 200};
  const std::string bad = bmp_file(s);
  CHECK(stb_alone_differs(bad));  // stb's palette lives on its stack
  write_bytes(dir.file("used.bmp"), bad);
  REQUIRE_THROWS_WITH(data::load_image(dir.file("used.bmp")),
                      "load_image: '" + dir.file("used.bmp") +
                          "': BMP: the pixel at (3, 1) has palette index 200, but the palette holds 2 colours "
                          "(biClrUsed = 2), so indices 0 to 1");
  // The same, top-down: the same pixel, now in the second row of the file.
  s.height = -2;
  write_bytes(dir.file("used-down.bmp"), bmp_file(s));
  REQUIRE_THROWS_WITH(io::read_image(dir.file("used-down.bmp")), Catch::Contains("(3, 1) has palette index 200"));
  // biClrUsed 0 (all 16 colours of a 4-bit image), but only 3 entries before the pixels.
  BmpSpec f;
  f.bpp = 4;
  f.width = 3;
  f.height = 1;
  f.palette_entries = 3;
  f.pixels = {2, 0, 9};
  write_bytes(dir.file("offset.bmp"), bmp_file(f));
  REQUIRE_THROWS_WITH(data::load_image(dir.file("offset.bmp")),
                      Catch::Contains("BMP: the pixel at (2, 0) has palette index 9, but only 3 palette entries fit "
                                      "between the headers and the pixel data (bfOffBits = 66), so indices 0 to 2"));
  // No room at all for a palette: stb would read none.
  BmpSpec none;
  none.bpp = 1;
  none.palette_entries = 0;
  none.pixels = {0, 1, 0, 1, 1, 0, 1, 0};
  write_bytes(dir.file("none.bmp"), bmp_file(none));
  REQUIRE_THROWS_WITH(data::load_image(dir.file("none.bmp")),
                      Catch::Contains("BMP: the pixel data offset (bfOffBits) is 54, which leaves no room for the "
                                      "palette of a 1-bit image after its headers (they end at 54)"));
  // Within the palette, 1, 4 and 8 bits: loads, with the palette's colours.
  for (int bpp : {1, 4, 8}) {
    BmpSpec ok;
    ok.bpp = bpp;
    ok.colours_used = 2;
    ok.pixels = {0, 1, 1, 0, 1, 0, 1, 1};
    write_bytes(dir.file("ok.bmp"), bmp_file(ok));
    const Tensor t = io::read_image(dir.file("ok.bmp"));
    REQUIRE(t.shape() == Shape{3, 2, 4});
    // (1, 0) is entry 1: B, G, R = 3, 4, 5.
    REQUIRE(t.data<float>()[0 * 8 + 1] == Approx(5 / 255.0f));
    REQUIRE(t.data<float>()[2 * 8 + 1] == Approx(3 / 255.0f));
    require_deterministic(dir.file("ok.bmp"));
  }
  for (const char* name : {"used.bmp", "used-down.bmp", "offset.bmp", "none.bmp"}) require_deterministic(dir.file(name));
}

TEST_CASE("image decoding: a top-down BMP (negative height) loads, the same as its bottom-up twin", "[data][image]") {
  TempDir dir;
  std::vector<std::uint8_t> px(5 * 3 * 3);
  for (std::size_t i = 0; i < px.size(); ++i) px[i] = static_cast<std::uint8_t>(7 * i + 1);
  BmpSpec up{5, 3, 24, 0, 0, -1, px}, down{5, -3, 24, 0, 0, -1, px};
  write_bytes(dir.file("up.bmp"), bmp_file(up));
  write_bytes(dir.file("down.bmp"), bmp_file(down));
  const Tensor a = data::load_image(dir.file("up.bmp")), b = data::load_image(dir.file("down.bmp"));
  REQUIRE(b.shape() == Shape{3, 3, 5});
  zengen::testing::require_close(a, b, 0);
  // (0, 0): B, G, R = 1, 8, 15.
  REQUIRE(b.data<float>()[0] == 15.0f);
  zengen::testing::require_close(io::read_image(dir.file("down.bmp")), io::read_image(dir.file("up.bmp")), 0);
  // 8-bit palette, top-down.
  BmpSpec pal;
  pal.height = -2;
  pal.pixels = {0, 1, 1, 0, 1, 0, 0, 1};
  write_bytes(dir.file("pal-down.bmp"), bmp_file(pal));
  REQUIRE(data::load_image(dir.file("pal-down.bmp")).shape() == Shape{3, 2, 4});
  // ImageFolder keeps them.
  data::ImageFolder folder(dir.path().string(), {.size = 2, .on_error = data::OnError::Raise});
  REQUIRE(folder.size() == 3);
  REQUIRE(folder.skipped().empty());
  for (const char* name : {"up.bmp", "down.bmp", "pal-down.bmp"}) require_deterministic(dir.file(name));
}

TEST_CASE("image decoding: JPEG scans that use undefined quantisation or Huffman tables are refused",
          "[data][image]") {
  TempDir dir;
  const std::string jpg = encode("jpg", 16, 16);
  // stb_image_write: DQT tables 0 and 1, DHT DC and AC tables 0 and 1, components 1, 2, 3.
  const std::size_t sof = jpg.find("\xff\xc0");
  const std::size_t sos = jpg.find("\xff\xda");
  REQUIRE(sof != std::string::npos);
  REQUIRE(sos != std::string::npos);
  std::string qt = jpg;
  qt[sof + 10 + 3 + 2] = 2;  // component 2's quantisation table
  CHECK(stb_alone_differs(qt));
  write_bytes(dir.file("qt.jpg"), qt);
  REQUIRE_THROWS_WITH(data::load_image(dir.file("qt.jpg")),
                      "load_image: '" + dir.file("qt.jpg") +
                          "': JPEG: component 2 (id 2) uses quantisation table 2 (SOF), but no DQT segment before "
                          "scan 1 defines it (defined: 0, 1)");
  std::string dc = jpg;
  dc[sos + 6] = 0x20;  // component 1: DC table 2, AC table 0
  write_bytes(dir.file("dc.jpg"), dc);
  REQUIRE_THROWS_WITH(io::read_image(dir.file("dc.jpg")),
                      Catch::Contains("JPEG: scan 1 (SOS) uses DC Huffman table 2 for component id 1, but no DHT "
                                      "segment before it defines that table (defined DC tables: 0, 1)"));
  std::string ac = jpg;
  ac[sos + 8] = 0x13;  // component 2: DC table 1, AC table 3
  write_bytes(dir.file("ac.jpg"), ac);
  REQUIRE_THROWS_WITH(data::load_image(dir.file("ac.jpg")),
                      Catch::Contains("uses AC Huffman table 3 for component id 2, but no DHT segment before it "
                                      "defines that table (defined AC tables: 0, 1)"));
  for (const char* name : {"qt.jpg", "dc.jpg", "ac.jpg"}) require_deterministic(dir.file(name));
}

TEST_CASE("image decoding: a JPEG whose scans leave pixels unwritten is refused", "[data][image]") {
  TempDir dir;
  // Hand-made grey JPEGs decode (baseline, progressive, with restart markers).
  JpegSpec base;
  write_bytes(dir.file("base.jpg"), jpeg_file(base));
  const Tensor b = io::read_image(dir.file("base.jpg"));
  REQUIRE(b.shape() == Shape{1, 8, 16});
  JpegSpec prog;
  prog.progressive = true;
  write_bytes(dir.file("prog.jpg"), jpeg_file(prog));
  zengen::testing::require_close(io::read_image(dir.file("prog.jpg")), b, 0);
  JpegSpec rst;
  rst.width = 24;
  rst.restart_interval = 1;
  write_bytes(dir.file("rst.jpg"), jpeg_file(rst));
  REQUIRE(io::read_image(dir.file("rst.jpg")).shape() == Shape{1, 8, 24});
  JpegSpec prog_rst = prog;
  prog_rst.restart_interval = 1;
  write_bytes(dir.file("prog-rst.jpg"), jpeg_file(prog_rst));
  REQUIRE(io::read_image(dir.file("prog-rst.jpg")).shape() == Shape{1, 8, 16});

  // A restart interval of 1 MCU, but no restart markers: stb decodes the
  // first MCU, stops, and returns the other two unwritten.
  JpegSpec missing = rst;
  missing.restart_markers = false;
  const std::string cut = jpeg_file(missing);
  CHECK(stb_alone_differs(cut));
  write_bytes(dir.file("no-rst.jpg"), cut);
  REQUIRE_THROWS_WITH(data::load_image(dir.file("no-rst.jpg")),
                      Catch::Contains("JPEG: scan 1 holds 0 restart markers, but its 3 MCUs in restart intervals of 1 "
                                      "(DRI) need 2; stb_image would stop at the first missing one"));
  // No scan at all.
  JpegSpec empty;
  empty.dc_scan = false;
  write_bytes(dir.file("no-scan.jpg"), jpeg_file(empty));
  REQUIRE_THROWS_WITH(io::read_image(dir.file("no-scan.jpg")),
                      Catch::Contains("JPEG: component 1 (id 1) appears in no scan before the end of the image (EOI); "
                                      "its pixels would be left unwritten"));
  // Progressive, an AC scan but no DC scan.
  JpegSpec ac_only = prog;
  ac_only.dc_scan = false;
  write_bytes(dir.file("no-dc.jpg"), jpeg_file(ac_only));
  REQUIRE_THROWS_WITH(data::load_image(dir.file("no-dc.jpg")),
                      Catch::Contains("JPEG: component 1 (id 1) has no first DC scan (spectral selection 0, "
                                      "approximation 0) before the end of the image (EOI)"));
  for (const char* name : {"base.jpg", "prog.jpg", "rst.jpg", "prog-rst.jpg", "no-rst.jpg", "no-scan.jpg", "no-dc.jpg"})
    require_deterministic(dir.file(name));
}

TEST_CASE("image decoding: every format decodes the same under different heap and stack patterns", "[data][image]") {
  TempDir dir;
  int n = 0;
  for (const std::string format : {"png", "bmp", "tga", "jpg"})
    for (int comp = 1; comp <= 4; ++comp) {
      const std::string path = dir.file(std::to_string(n++) + "." + format);
      write_bytes(path, encode(format, 13, 7, comp));
      require_deterministic(path);
    }
}
