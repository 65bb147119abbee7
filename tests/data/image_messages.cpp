// Errors that say what is wrong (issue 16): for each format, header fields
// out of range are reported as the format, the field, its value and what is
// allowed, with the file's name in front; never stb_image's "unknown image
// type", "bad png sig" for a JPEG, "N x 0 = 0 pixels, more than max_pixels"
// or "no reason given".
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "data/image_builders.hpp"
#include "helpers.hpp"
#include "temp_dir.hpp"

using namespace zengen;
using namespace zengen::testing::images;
using zengen::testing::TempDir;
using zengen::testing::write_bytes;

namespace {

struct Case {
  std::string name, bytes, message;
};

// Each case: load_image and read_image both throw a FormatError
// "<op>: '<path>': <message>...", and nothing stb-generic.
void require_messages(const std::vector<Case>& cases) {
  TempDir dir;
  for (const auto& c : cases) {
    const std::string path = dir.file(c.name);
    write_bytes(path, c.bytes);
    INFO(c.name);
    for (int reader = 0; reader < 2; ++reader) {
      std::string what;
      try {
        if (reader == 0)
          data::load_image(path);
        else
          io::read_image(path);
        FAIL("no error for " << c.name);
      } catch (const FormatError& e) {
        what = e.what();
      }
      const std::string prefix = std::string(reader == 0 ? "load_image" : "read_image") + ": '" + path + "': ";
      REQUIRE_THAT(what, Catch::StartsWith(prefix));
      REQUIRE_THAT(what, Catch::Contains(c.message));
      REQUIRE_THAT(what, !Catch::Contains("unknown image type") && !Catch::Contains("no reason") &&
                             !Catch::Contains("bad png sig") && !Catch::Contains(" = 0 pixels"));
    }
  }
}

std::string patched(std::string s, std::size_t at, const std::string& bytes) {
  s.replace(at, bytes.size(), bytes);
  return s;
}

std::string be32s(std::uint32_t v) {
  std::string s;
  put_be32(s, v);
  return s;
}
std::string le32s(std::uint32_t v) {
  std::string s;
  put_le32(s, v);
  return s;
}
std::string le16s(std::uint32_t v) {
  std::string s;
  put_le16(s, v);
  return s;
}
std::string be16s(std::uint32_t v) {
  std::string s;
  put_be16(s, v);
  return s;
}

}  // namespace

TEST_CASE("image messages: PNG header and chunk faults name the field, its value and what is allowed",
          "[data][image]") {
  const std::string png = encode("png", 3, 2);
  // IHDR data at 16: width 16, height 20, depth 24, colour 25, compression 26, filter 27, interlace 28.
  const std::string pal = png_file(2, 1, 8, 3, std::string("\0\0\1", 3), plte(2));
  require_messages({
      {"w0.png", patched(png, 16, be32s(0)), "PNG: the IHDR width is 0; allowed 1 to 16777216"},
      {"h0.png", patched(png, 20, be32s(0)), "PNG: the IHDR height is 0; allowed 1 to 16777216"},
      {"huge.png", patched(png, 16, be32s(0x80000000u)), "PNG: the IHDR width is 2147483648; allowed 1 to 16777216"},
      {"depth.png", patched(png, 24, "\x03"), "PNG: the IHDR bit depth is 3; allowed 1, 2, 4, 8 or 16"},
      {"colour.png", patched(png, 25, "\x05"),
       "PNG: the IHDR colour type is 5; allowed 0 (grey), 2 (RGB), 3 (palette), 4 (grey and alpha) or 6 (RGBA)"},
      {"rgb4.png", patched(png, 24, "\x04"),
       "PNG: the IHDR bit depth 4 is not allowed for colour type 2 (RGB); allowed 8 or 16"},
      {"pal16.png", patched(patched(png, 24, "\x10"), 25, "\x03"),
       "PNG: the IHDR bit depth 16 is not allowed for colour type 3 (palette); allowed 1, 2, 4 or 8"},
      {"comp.png", patched(png, 26, "\x01"), "PNG: the IHDR compression method is 1; allowed 0 (deflate)"},
      {"filter.png", patched(png, 27, "\x02"), "PNG: the IHDR filter method is 2; allowed 0"},
      {"interlace.png", patched(png, 28, "\x02"), "PNG: the IHDR interlace method is 2; allowed 0 (none) or 1 (Adam7)"},
      {"sig.png", patched(png, 7, "\x0b"),
       "PNG: the signature is 89 50 4E 47 0D 0A 1A 0B; a PNG starts with 89 50 4E 47 0D 0A 1A 0A"},
      {"first.png", patched(png, 12, "IDAT"), "PNG: the first chunk is 'IDAT'; a PNG starts with its IHDR chunk"},
      {"ihdrlen.png", patched(png, 8, be32s(12)), "PNG: the IHDR chunk holds 12 bytes; it must hold 13"},
      {"critical.png", png.substr(0, 33) + png_chunk("ABCD", "xy") + png.substr(33),
       "PNG: an unknown critical chunk 'ABCD' at byte 33"},
      {"plte7.png", png_file(2, 1, 8, 3, std::string("\0\0\1", 3), png_chunk("PLTE", "1234567")),
       "PNG: the PLTE chunk holds 7 bytes; allowed a multiple of 3 up to 768 (1 to 256 colours)"},
      {"noplte.png", png_file(2, 1, 8, 3, std::string("\0\0\1", 3)),
       "PNG: image data (IDAT) before any PLTE chunk; a palette image (colour type 3) needs its palette first"},
      {"trns.png", png_file(2, 1, 8, 3, std::string("\0\0\1", 3), plte(2) + png_chunk("tRNS", "abc")),
       "PNG: the tRNS chunk holds 3 alpha values, more than the 2 colours of the PLTE chunk"},
      {"trns-rgba.png", png_file(1, 1, 8, 6, std::string(5, '\0'), png_chunk("tRNS", "abcdef")),
       "PNG: a tRNS chunk in an image with an alpha channel (colour type 6)"},
      {"trns-len.png", png_file(1, 1, 8, 2, std::string(4, '\0'), png_chunk("tRNS", "ab")),
       "PNG: the tRNS chunk holds 2 bytes; colour type 2 (RGB) needs 6"},
      {"plte2.png", pal.substr(0, 33) + plte(2) + pal.substr(33),
       "PNG: a second PLTE chunk at byte 51; a PNG has at most one"},
      {"noidat.png", png.substr(0, 33) + png_chunk("IEND", ""), "PNG: no image data (IDAT chunk) before IEND"},
  });
}

TEST_CASE("image messages: JPEG frame, table and scan faults are named", "[data][image]") {
  const std::string jpg = encode("jpg", 16, 16);
  const std::size_t sof = jpg.find("\xff\xc0"), sos = jpg.find("\xff\xda"), dqt = jpg.find("\xff\xdb");
  require_messages({
      {"p12.jpg", patched(jpg, sof + 4, "\x0c"), "JPEG: the frame header (SOF) gives 12-bit samples; stb_image reads 8-bit JPEGs only"},
      {"h0.jpg", patched(jpg, sof + 5, be16s(0)), "JPEG: the frame header (SOF) gives height 0"},
      {"w0.jpg", patched(jpg, sof + 7, be16s(0)), "JPEG: the frame header (SOF) gives width 0; allowed 1 to 65535"},
      {"nf2.jpg", patched(jpg, sof + 9, "\x02"),
       "JPEG: the frame header (SOF) declares 2 components; allowed 1 (grey), 3 (YCbCr or RGB) or 4 (CMYK)"},
      {"hv.jpg", patched(jpg, sof + 11, "\x51"), "JPEG: component 1 (id 1) has sampling factors 5 x 1 (SOF); allowed 1 to 4 each"},
      {"tq.jpg", patched(jpg, sof + 12, "\x07"), "JPEG: component 1 (id 1) uses quantisation table 7 (SOF); allowed 0 to 3"},
      {"sof3.jpg", patched(jpg, sof + 1, "\xc3"),
       "JPEG: marker FF C3 at byte " + std::to_string(sof) + ": SOF3 (a lossless frame); stb_image reads baseline "
       "(SOF0, SOF1) and progressive (SOF2) Huffman-coded JPEGs"},
      {"sof9.jpg", patched(jpg, sof + 1, "\xc9"), "SOF9 (an arithmetic-coded frame)"},
      {"dqt.jpg", patched(jpg, dqt + 4, "\x25"), "JPEG: a quantisation table (DQT) of precision 2; allowed 0 (8-bit) or 1 (16-bit)"},
      {"sosid.jpg", patched(jpg, sos + 5, "\x09"),
       "JPEG: scan 1 (SOS) names component id 9, which the frame header (SOF) does not have (its ids: 1, 2, 3)"},
      {"sosn.jpg", patched(jpg, sos + 4, "\x05"), "JPEG: scan 1 (SOS) names 5 components; allowed 1 to 3"},
      {"noeoi-sof.jpg", jpg.substr(0, 2) + "\xff\xd9", "JPEG: the image ends (EOI) before its frame header (SOF)"},
      {"junk.jpg", jpg.substr(0, 2) + "x" + jpg.substr(2),
       "JPEG: byte 0x78 at offset 2 where a marker (FF xx) should follow the previous segment"},
  });
}

TEST_CASE("image messages: BMP header faults are named; a JPEG is never called a PNG", "[data][image]") {
  const std::string bmp = encode("bmp", 3, 2);  // 24-bit, 40-byte header
  require_messages({
      {"bisize.bmp", patched(bmp, 14, le32s(64)),
       "BMP: the info header size (biSize) is 64; allowed 12 (OS/2), 40, 56, 108 or 124"},
      {"w0.bmp", patched(bmp, 18, le32s(0)), "BMP: the width (biWidth) is 0; allowed 1 to 16777216"},
      {"wneg.bmp", patched(bmp, 18, le32s(static_cast<std::uint32_t>(-5))), "BMP: the width (biWidth) is -5"},
      {"h0.bmp", patched(bmp, 22, le32s(0)),
       "BMP: the height (biHeight) is 0; allowed 1 to 16777216, or -1 to -16777216 for a top-down image"},
      {"planes.bmp", patched(bmp, 26, le16s(3)), "BMP: the plane count (biPlanes) is 3; it must be 1"},
      {"bpp.bmp", patched(bmp, 28, le16s(2)), "BMP: the bit count (biBitCount) is 2; allowed 1, 4, 8, 16, 24 or 32"},
      {"rle.bmp", patched(patched(bmp, 28, le16s(8)), 30, le32s(1)),
       "BMP: the compression (biCompression) is 1 (RLE8); stb_image reads uncompressed (0) and bitfield (3) BMPs only"},
      {"bf24.bmp", patched(bmp, 30, le32s(3)),
       "BMP: bitfield compression (biCompression 3) with a bit count (biBitCount) of 24"},
      {"offset.bmp", patched(bmp, 10, le32s(60)),
       "BMP: the pixel data offset (bfOffBits) is 60; stb_image 2.27 reads the pixels of a 24-bit BMP right after its "
       "headers, at 54"},
      {"short.bmp", bmp.substr(0, 30), "truncated: the file ends inside the BMP info header"},
  });
}

TEST_CASE("image messages: GIF and TGA faults, unknown and refused formats", "[data][image]") {
  // A 1 x 1 GIF with a 2-colour global table: header, table, image, LZW.
  const std::string gif = std::string("GIF89a\x01\x00\x01\x00\x80\x00\x00", 13) + std::string("\0\0\0\xff\xff\xff", 6) +
                          std::string("\x2c\0\0\0\0\x01\x00\x01\x00\x00", 10) + std::string("\x02\x02\x44\x01\x00\x3b", 6);
  const std::string tga = encode("tga", 3, 2);
  require_messages({
      {"w0.gif", patched(gif, 6, le16s(0)), "GIF: the logical screen width is 0; allowed 1 to 65535"},
      {"h0.gif", patched(gif, 8, le16s(0)), "GIF: the logical screen height is 0; allowed 1 to 65535"},
      {"trailer.gif", gif.substr(0, 19) + "\x3b",
       "GIF: the file holds no image: its trailer (3B) at byte 19 comes before any image descriptor (2C)"},
      {"lzw.gif", patched(gif, 29, "\x0d"), "GIF: the first image's LZW minimum code size is 13; allowed 2 to 8"},
      {"fit.gif", patched(gif, 24, le16s(2)), "GIF: the first image (2 x 1 at 0, 0) does not fit the logical screen of 1 x 1"},
      {"block.gif", gif.substr(0, 19) + "\x99" + gif.substr(19),
       "GIF: a block of type 0x99 at byte 19; allowed 21 (extension), 2C (image) or 3B (trailer)"},
      {"nocolours.gif", patched(gif, 10, std::string(1, '\0')).substr(0, 13) + gif.substr(19),
       "GIF: the first image has no colour table (neither a local nor a global one)"},
      {"w0.tga", patched(tga, 12, le16s(0)), "TGA: the width (bytes 12-13) is 0; allowed 1 to 65535"},
      {"h0.tga", patched(tga, 14, le16s(0)), "TGA: the height (bytes 14-15) is 0; allowed 1 to 65535"},
      {"type.tga", patched(tga, 2, "\x05"),
       "as a TGA its image type (byte 2) is 5; allowed 2 (RGB), 3 (grey), 10 or 11 (the same, RLE) without a colour map"},
      {"bpp.tga", patched(tga, 16, "\x07"), "as a TGA its pixel size (byte 16) is 7 bits; allowed 8, 15, 16, 24 or 32"},
      {"text.png", "this is a text file, not a PNG\n",
       "not a PNG, JPEG, BMP or GIF file (it starts with 74 68 69 73: no signature of theirs), and as a TGA its "
       "colour map type (byte 1) is 104; allowed 0 (none) or 1 (palette)"},
      {"webp.png", std::string("RIFF\x10\0\0\0WEBPVP8 ", 16), "a WebP file: zengen reads PNG, JPEG, BMP, TGA and GIF only"},
      {"tiff.jpg", std::string("II*\0\x08\0\0\0", 8), "a TIFF file: zengen reads PNG, JPEG, BMP, TGA and GIF only"},
      {"tiff-be.png", std::string("MM\0*\0\0\0\x08", 8), "a TIFF file"},
      {"avif.jpg", std::string("\0\0\0\x1c" "ftypavif", 12), "a HEIF/AVIF (ISO media) file"},
  });
}

TEST_CASE("image messages: a declared size over max_pixels names the format and both sizes", "[data][image]") {
  TempDir dir;
  write_bytes(dir.file("a.jpg"), encode("jpg", 16, 8));
  REQUIRE_THROWS_WITH(data::load_image(dir.file("a.jpg"), 3, 100),
                      Catch::EndsWith("': JPEG: its header declares 16 x 8 = 128 pixels, more than max_pixels = 100"));
  write_bytes(dir.file("a.gif"), std::string("GIF89a\x0a\x00\x0b\x00\x80\x00\x00", 13) + std::string(6, '\0') +
                                     std::string("\x2c\0\0\0\0\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00\x3b", 16));
  REQUIRE_THROWS_WITH(io::read_image(dir.file("a.gif"), 100),
                      Catch::EndsWith("': GIF: its header declares 10 x 11 = 110 pixels, more than max_pixels = 100"));
}
