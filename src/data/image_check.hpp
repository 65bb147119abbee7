// zengen's own reading of an image file's structure, before stb_image
// decodes it (src/data/image_decode.cpp). Two jobs:
//
// 1. Messages that say what is wrong. The format is told by its signature
//    (TGA, which has none, by its header), and every field stb_image relies
//    on is checked here first, so that a fault is reported as the format,
//    the field, its value and what is allowed ("PNG: IHDR bit depth 3;
//    allowed 1, 2, 4, 8 or 16") rather than as stb's "unknown image type".
// 2. No pixel that the decoder did not write. stb_image 2.27 (Debian's
//    libstb) hands out uninitialised memory for some malformed files: palette
//    indices past a PNG's PLTE or a BMP's palette (its palettes live on the
//    stack), and JPEGs whose scans use quantisation or Huffman tables no
//    segment defines, leave a component without a scan, or stop early at a
//    missing restart marker (its tables and planes come from malloc). Such
//    files are refused here; the rules are listed in docs/hardening.md.
//
// Every function returns false and sets `why` (without the file's name,
// which callers put in front) on a fault. A file that ends early is left to
// the decoder's truncation check, which reports it as truncated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace zengen::data::decoder {

enum class Format { Png, Jpeg, Bmp, Gif, Tga };

/// "PNG", "JPEG", "BMP", "GIF", "TGA".
const char* format_name(Format format);

/// What the header declares.
struct Header {
  Format format = Format::Png;
  /// The image's size as decoded: a top-down BMP's negative height is
  /// reported without its sign.
  std::int64_t width = 0, height = 0;
};

/// Tells the format and checks the header's fields (sizes, bit depth,
/// colour type, compression, ...). Reads only the first few hundred bytes
/// (a JPEG: its segments up to the frame header).
bool read_header(const unsigned char* data, std::size_t size, Header& header, std::string& why);

/// The checks that read more than the header, after read_header succeeded
/// and the caller checked the declared size against its caps: stb_image's
/// own size limits, the chunk or segment structure, palette indices (PNG,
/// BMP: the pixel data is read, a PNG's inflated with zlib) and the JPEG
/// tables and scans.
bool check_body(const unsigned char* data, std::size_t size, const Header& header, std::string& why);

}  // namespace zengen::data::decoder
