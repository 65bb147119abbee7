// BMP: the file and info headers, bit fields, and palette indices against the palette the file holds.
// Part of the image checks: see image_check.hpp (what and why) and
// image_check_formats.hpp (the shared helpers).
#include "data/image_check_formats.hpp"

#include <algorithm>
#include <climits>
#include <cstring>
#include <vector>

namespace zengen::data::decoder::detail {

namespace {

const char* bmp_compression_name(std::uint32_t c) {
  switch (c) {
    case 1: return "1 (RLE8)";
    case 2: return "2 (RLE4)";
    case 4: return "4 (JPEG)";
    case 5: return "5 (PNG)";
    case 6: return "6 (alpha bitfields)";
    default: return nullptr;
  }
}

}  // namespace

bool bmp_header(const unsigned char* d, std::size_t n, BmpHeader& b, std::string& why) {
  if (n < 18) return truncated_header(why, "BMP file header", n);
  b.offset = le32(d + 10);
  b.header_size = le32(d + 14);
  const std::uint32_t hs = b.header_size;
  if (hs != 12 && hs != 40 && hs != 56 && hs != 108 && hs != 124)
    return fail(why, "BMP: the info header size (biSize) is ", hs,
                "; allowed 12 (OS/2), 40, 56, 108 or 124 (Windows versions 3 to 5)");
  if (n < (hs == 12 ? 26u : 54u)) return truncated_header(why, "BMP info header", n);
  int planes;
  if (hs == 12) {
    b.width = le16(d + 18);
    b.height = le16(d + 20);
    planes = static_cast<int>(le16(d + 22));
    b.bpp = static_cast<int>(le16(d + 24));
  } else {
    b.width = static_cast<std::int32_t>(le32(d + 18));
    b.height = static_cast<std::int32_t>(le32(d + 22));
    planes = static_cast<int>(le16(d + 26));
    b.bpp = static_cast<int>(le16(d + 28));
    b.compression = le32(d + 30);
    b.colours_used = le32(d + 46);
  }
  if (b.width < 1 || b.width > kStbMaxSide)
    return fail(why, "BMP: the width (biWidth) is ", b.width, "; allowed 1 to ", kStbMaxSide);
  if (b.height == 0 || b.height > kStbMaxSide || b.height < -kStbMaxSide)
    return fail(why, "BMP: the height (biHeight) is ", b.height, "; allowed 1 to ", kStbMaxSide, ", or -1 to -",
                kStbMaxSide, " for a top-down image");
  if (planes != 1) return fail(why, "BMP: the plane count (biPlanes) is ", planes, "; it must be 1");
  const int bpp = b.bpp;
  if (hs == 12 ? (bpp != 1 && bpp != 4 && bpp != 8 && bpp != 24)
               : (bpp != 1 && bpp != 4 && bpp != 8 && bpp != 16 && bpp != 24 && bpp != 32))
    return fail(why, "BMP: the bit count (biBitCount) is ", bpp, "; allowed 1, 4, 8, ", hs == 12 ? "" : "16, ", "24",
                hs == 12 ? " in an OS/2 BMP" : " or 32");
  if (b.compression != 0 && b.compression != 3) {
    const char* name = bmp_compression_name(b.compression);
    return fail(why, "BMP: the compression (biCompression) is ", name ? name : std::to_string(b.compression).c_str(),
                "; stb_image reads uncompressed (0) and bitfield (3) BMPs only");
  }
  if (b.compression == 3 && bpp != 16 && bpp != 32)
    return fail(why, "BMP: bitfield compression (biCompression 3) with a bit count (biBitCount) of ", bpp,
                "; bitfields need 16 or 32 bits per pixel");
  if (b.offset > INT_MAX) return fail(why, "BMP: the pixel data offset (bfOffBits) is ", b.offset, "; at most ", INT_MAX);
  return true;
}

namespace {

int popcount(std::uint32_t v) {
  int c = 0;
  for (; v; v &= v - 1) ++c;
  return c;
}

}  // namespace

bool bmp_body(const unsigned char* d, std::size_t n, std::string& why) {
  BmpHeader b;
  if (!bmp_header(d, n, b, why)) return false;
  const std::int64_t rows = b.height < 0 ? -b.height : b.height;
  if (b.width * rows > INT_MAX / 4)
    return fail(why, "BMP: a ", b.width, " x ", rows, " image is more than stb_image decodes (2^31 bytes)");
  const std::uint32_t hs = b.header_size;
  const bool bitfields = b.compression == 3;
  // Where stb's reading of the headers ends (it takes the masks of a
  // version 3 header with bitfields from the 12 bytes after it).
  const std::uint32_t headers_end = 14 + hs + (bitfields && (hs == 40 || hs == 56) ? 12 : 0);
  if (b.bpp >= 16) {
    std::uint32_t mr = 0, mg = 0, mb = 0, ma = 0;
    if (bitfields) {
      const std::size_t at = hs == 40 || hs == 56 ? 14 + hs : 54;
      if (at + (hs >= 108 ? 16 : 12) > n) return true;
      mr = le32(d + at);
      mg = le32(d + at + 4);
      mb = le32(d + at + 8);
      ma = hs >= 108 ? le32(d + at + 12) : 0;
      if ((hs == 40 || hs == 56) && mr == mg && mg == mb)
        return fail(why, "BMP: the red, green and blue masks (biCompression 3) are all ", hex(mr, 8),
                    "; they must differ");
      const bool easy = b.bpp == 32 && mb == 0xff && mg == 0xff00 && mr == 0xff0000 && ma == 0xff000000;
      if (!easy) {
        if (!mr || !mg || !mb)
          return fail(why, "BMP: a colour mask (biCompression 3) is 0: red ", hex(mr, 8), ", green ", hex(mg, 8),
                      ", blue ", hex(mb, 8), "; each needs at least one bit");
        const std::uint32_t masks[4] = {mr, mg, mb, ma};
        const char* names[4] = {"red", "green", "blue", "alpha"};
        for (int i = 0; i < 4; ++i)
          if (popcount(masks[i]) > 8)
            return fail(why, "BMP: the ", names[i], " mask (biCompression 3) ", hex(masks[i], 8), " has ",
                        popcount(masks[i]), " bits; stb_image reads masks of at most 8 bits");
      }
    }
    if (b.offset != headers_end)
      return fail(why, "BMP: the pixel data offset (bfOffBits) is ", b.offset, "; stb_image 2.27 reads the pixels of a ",
                  b.bpp, "-bit BMP right after its headers, at ", headers_end);
    return true;
  }
  if (b.bpp == 24) {  // OS/2 24-bit
    if (b.offset != headers_end)
      return fail(why, "BMP: the pixel data offset (bfOffBits) is ", b.offset,
                  "; stb_image 2.27 reads the pixels of a 24-bit BMP right after its headers, at ", headers_end);
    return true;
  }
  // A palette image. stb takes the palette to be what lies between the
  // headers and the pixel data (3-byte entries in OS/2 BMPs, counted from
  // byte 38; 4-byte entries otherwise), and reads the pixels at bfOffBits.
  const std::int64_t offset = b.offset;
  const std::int64_t entries = hs == 12 ? (offset - 38) / 3 : (offset - 14 - hs) >> 2;
  if (entries <= 0)
    return fail(why, "BMP: the pixel data offset (bfOffBits) is ", offset, ", which leaves no room for the palette of a ",
                b.bpp, "-bit image after its headers (they end at ", 14 + hs,
                hs == 12 ? "; stb_image counts an OS/2 palette from byte 38" : "", ")");
  if (entries > 256)
    return fail(why, "BMP: the pixel data offset (bfOffBits) is ", offset, ", which leaves room for ", entries,
                " palette entries; stb_image reads what lies between the headers and the pixels as the palette, "
                "at most 256 entries");
  const std::int64_t declared = hs != 12 && b.colours_used ? b.colours_used : std::int64_t{1} << b.bpp;
  const std::int64_t colours = std::min({entries, declared, std::int64_t{1} << b.bpp});
  if (colours == (std::int64_t{1} << b.bpp)) return true;  // every index has its colour
  const std::int64_t row_bytes = b.bpp == 1 ? (b.width + 7) >> 3 : b.bpp == 4 ? (b.width + 1) >> 1 : b.width;
  const std::int64_t stride = row_bytes + ((-row_bytes) & 3);
  for (std::int64_t j = 0; j < rows; ++j) {
    const std::int64_t at = offset + j * stride;
    if (at + row_bytes > static_cast<std::int64_t>(n)) return true;  // cut: reported as truncated
    const unsigned char* r = d + at;
    for (std::int64_t x = 0; x < b.width; ++x) {
      unsigned index;
      if (b.bpp == 8)
        index = r[x];
      else if (b.bpp == 4)
        index = (r[x >> 1] >> (x & 1 ? 0 : 4)) & 15;
      else
        index = (r[x >> 3] >> (7 - (x & 7))) & 1;
      if (index >= colours) {
        const std::int64_t y = b.height < 0 ? j : rows - 1 - j;
        if (colours == declared && hs != 12 && b.colours_used)
          return fail(why, "BMP: the pixel at (", x, ", ", y, ") has palette index ", index,
                      ", but the palette holds ", colours, " colour", colours == 1 ? "" : "s",
                      " (biClrUsed = ", b.colours_used, "), so indices 0 to ", colours - 1);
        return fail(why, "BMP: the pixel at (", x, ", ", y, ") has palette index ", index, ", but only ", colours,
                    " palette entr", colours == 1 ? "y fits" : "ies fit", " between the headers and the pixel data ",
                    "(bfOffBits = ", offset, "), so indices 0 to ", colours - 1);
      }
    }
  }
  return true;
}

}  // namespace zengen::data::decoder::detail
