// Writes the image fuzzer's seeds for the classes of issue 16 (palette
// indices past the palette, JPEG tables and scans that leave pixels
// unwritten, top-down BMPs, header faults) into the folder named by
// ZENGEN_WRITE_CORPUS; hidden, run by hand:
//
//   ZENGEN_WRITE_CORPUS=fuzz/corpus/image build/tests/zengen_tests "[.write-corpus]"
//
// The files are committed; CTest replays them (fuzz/CMakeLists.txt).
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "data/image_builders.hpp"
#include "helpers.hpp"
#include "temp_dir.hpp"

using namespace zengen::testing::images;

TEST_CASE("image fuzz seeds: the hostile files of issue 16", "[.write-corpus]") {
  const char* dir = std::getenv("ZENGEN_WRITE_CORPUS");
  if (!dir) {
    WARN("set ZENGEN_WRITE_CORPUS to the folder to write the seeds into");
    return;
  }
  std::vector<std::pair<std::string, std::string>> files;
  files.reserve(40);
  // PNG palettes.
  files.emplace_back("broken-palette-index.png",
                     png_file(4, 2, 8, 3, raw_rows({{0, 0, 1, 5, 200}, {0, 1, 0, 1, 0}}), plte(2)));
  files.emplace_back("broken-palette-index-4bit.png", png_file(3, 1, 4, 3, raw_rows({{0, 0x0F, 0x20}}), plte(3)));
  files.emplace_back("broken-palette-index-adam7.png",
                     png_file(3, 3, 8, 3, raw_rows({{0, 0}, {0, 1}, {0, 0, 1}, {0, 1}, {0, 0}, {0, 1, 9, 0}}), plte(2), 1));
  files.emplace_back("palette-adam7.png",
                     png_file(3, 3, 8, 3, raw_rows({{0, 0}, {0, 1}, {0, 0, 1}, {0, 1}, {0, 0}, {0, 1, 1, 0}}), plte(2), 1));
  files.emplace_back("palette-paeth.png", png_file(3, 2, 8, 3, raw_rows({{4, 1, 1, 0}, {3, 0, 1, 0}}), plte(4)));
  files.emplace_back("broken-palette-short-idat.png", png_file(4, 2, 8, 3, raw_rows({{0, 0, 1, 0, 1}}), plte(2)));
  // BMP palettes and top-down BMPs.
  BmpSpec used;
  used.colours_used = 2;
  used.pixels = {0, 1, 1, 0, 1, 0, 1, 200};
  files.emplace_back("broken-palette-index.bmp", bmp_file(used));
  BmpSpec offset;
  offset.bpp = 4;
  offset.width = 3;
  offset.height = 1;
  offset.palette_entries = 3;
  offset.pixels = {2, 0, 9};
  files.emplace_back("broken-palette-offset.bmp", bmp_file(offset));
  BmpSpec none;
  none.bpp = 1;
  none.palette_entries = 0;
  none.pixels = {0, 1, 0, 1, 1, 0, 1, 0};
  files.emplace_back("broken-palette-none.bmp", bmp_file(none));
  std::vector<std::uint8_t> px(5 * 3 * 3);
  for (std::size_t i = 0; i < px.size(); ++i) px[i] = static_cast<std::uint8_t>(7 * i + 1);
  files.emplace_back("topdown.bmp", bmp_file({5, -3, 24, 0, 0, -1, px}));
  BmpSpec pal_down;
  pal_down.height = -2;
  pal_down.pixels = {0, 1, 1, 0, 1, 0, 0, 1};
  files.emplace_back("topdown-palette.bmp", bmp_file(pal_down));
  // JPEG tables and scans.
  const std::string jpg = encode("jpg", 16, 16);
  const std::size_t sof = jpg.find("\xff\xc0"), sos = jpg.find("\xff\xda");
  std::string qt = jpg, dc = jpg, ac = jpg;
  qt[sof + 10 + 3 + 2] = 2;
  dc[sos + 6] = 0x20;
  ac[sos + 8] = 0x13;
  files.emplace_back("broken-undefined-quant.jpg", qt);
  files.emplace_back("broken-undefined-dc-huffman.jpg", dc);
  files.emplace_back("broken-undefined-ac-huffman.jpg", ac);
  JpegSpec base, prog, rst, prog_rst, missing, empty, ac_only;
  prog.progressive = true;
  rst.width = 24;
  rst.restart_interval = 1;
  prog_rst = prog;
  prog_rst.restart_interval = 1;
  missing = rst;
  missing.restart_markers = false;
  empty.dc_scan = false;
  ac_only = prog;
  ac_only.dc_scan = false;
  files.emplace_back("grey-baseline.jpg", jpeg_file(base));
  files.emplace_back("grey-progressive.jpg", jpeg_file(prog));
  files.emplace_back("grey-restart.jpg", jpeg_file(rst));
  files.emplace_back("grey-progressive-restart.jpg", jpeg_file(prog_rst));
  files.emplace_back("broken-missing-restart.jpg", jpeg_file(missing));
  files.emplace_back("broken-no-scan.jpg", jpeg_file(empty));
  files.emplace_back("broken-no-dc-scan.jpg", jpeg_file(ac_only));
  // Header faults (messages).
  std::string png = encode("png", 3, 2);
  png[24] = 3;  // bit depth 3
  files.emplace_back("broken-ihdr-depth.png", png);
  std::string p12 = jpg;
  p12[sof + 4] = 12;
  files.emplace_back("broken-sof-12bit.jpg", p12);
  std::string rle = encode("bmp", 3, 2);
  set_le16(rle, 28, 8);
  set_le32(rle, 30, 1);
  files.emplace_back("broken-rle8.bmp", rle);
  const std::string gif = std::string("GIF89a\x01\x00\x01\x00\x80\x00\x00", 13) + std::string("\0\0\0\xff\xff\xff", 6);
  files.emplace_back("broken-no-image.gif", gif + "\x3b");
  files.emplace_back("broken-lzw-size.gif", gif + std::string("\x2c\0\0\0\0\x01\x00\x01\x00\x00\x0d\x02\x44\x01\x00\x3b", 16));
  for (const auto& [name, bytes] : files) zengen::testing::write_bytes(std::string(dir) + "/" + name, bytes);
}
