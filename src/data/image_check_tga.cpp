// TGA: the header fields stb_image reads (TGA has no signature).
// Part of the image checks: see image_check.hpp (what and why) and
// image_check_formats.hpp (the shared helpers).
#include "data/image_check_formats.hpp"

#include <algorithm>
#include <climits>
#include <cstring>

namespace zengen::data::decoder::detail {

// TGA has no signature: a file that matches no other format is read as a
// TGA header, as stb_image does last.
bool tga_header(const unsigned char* d, std::size_t n, Header& h, std::string& why) {
  const std::string not_other = "not a PNG, JPEG, BMP or GIF file (it starts with " +
                                hex_bytes(d, std::min<std::size_t>(n, 4)) + ": no signature of theirs), and as a TGA ";
  if (n < 18) return fail(why, not_other, "it ends inside the 18-byte header (the file holds ", n, " bytes)");
  const unsigned cmap = d[1], type = d[2], cmap_bits = d[7], bpp = d[16];
  const std::uint32_t cmap_len = le16(d + 5);
  h.width = le16(d + 12);
  h.height = le16(d + 14);
  if (cmap > 1) return fail(why, not_other, "its colour map type (byte 1) is ", cmap, "; allowed 0 (none) or 1 (palette)");
  if (cmap == 1) {
    if (type != 1 && type != 9)
      return fail(why, not_other, "its image type (byte 2) is ", type,
                  " with a colour map; stb_image reads colour-mapped images of type 1 or 9 (RLE)");
    if (cmap_bits != 8 && cmap_bits != 15 && cmap_bits != 16 && cmap_bits != 24 && cmap_bits != 32)
      return fail(why, not_other, "its colour map entry size (byte 7) is ", cmap_bits,
                  " bits; allowed 8, 15, 16, 24 or 32");
    if (bpp != 8 && bpp != 16)
      return fail(why, not_other, "its index size (byte 16) is ", bpp, " bits; allowed 8 or 16 for a colour-mapped image");
    if (cmap_len == 0) return fail(why, not_other, "its colour map (bytes 5-6) holds 0 entries");
  } else {
    if (type != 2 && type != 3 && type != 10 && type != 11)
      return fail(why, not_other, "its image type (byte 2) is ", type,
                  "; allowed 2 (RGB), 3 (grey), 10 or 11 (the same, RLE) without a colour map");
    if (bpp != 8 && bpp != 15 && bpp != 16 && bpp != 24 && bpp != 32)
      return fail(why, not_other, "its pixel size (byte 16) is ", bpp, " bits; allowed 8, 15, 16, 24 or 32");
  }
  if (h.width == 0) return fail(why, "TGA: the width (bytes 12-13) is 0; allowed 1 to 65535");
  if (h.height == 0) return fail(why, "TGA: the height (bytes 14-15) is 0; allowed 1 to 65535");
  return true;
}

bool tga_body(const Header& h, std::string& why) {
  if (h.width * h.height > INT_MAX / 4)
    return fail(why, "TGA: a ", h.width, " x ", h.height, " image is more than stb_image decodes (2^31 bytes)");
  return true;
}

}  // namespace zengen::data::decoder::detail
