// GIF: the logical screen and the blocks up to the first image descriptor.
// Part of the image checks: see image_check.hpp (what and why) and
// image_check_formats.hpp (the shared helpers).
#include "data/image_check_formats.hpp"

#include <algorithm>
#include <cstring>

namespace zengen::data::decoder::detail {

bool gif_header(const unsigned char* d, std::size_t n, Header& h, std::string& why) {
  if (n < 6) return truncated_header(why, "GIF signature", n);
  if (std::memcmp(d, "GIF87a", 6) != 0 && std::memcmp(d, "GIF89a", 6) != 0)
    return fail(why, "GIF: the signature is ", hex_bytes(d, 6), "; allowed 'GIF87a' or 'GIF89a'");
  if (n < 13) return truncated_header(why, "GIF header (logical screen descriptor)", n);
  h.width = le16(d + 6);
  h.height = le16(d + 8);
  if (h.width == 0) return fail(why, "GIF: the logical screen width is 0; allowed 1 to 65535");
  if (h.height == 0) return fail(why, "GIF: the logical screen height is 0; allowed 1 to 65535");
  return true;
}

// To the first image, which is what stb_image decodes.
bool gif_body(const unsigned char* d, std::size_t n, const Header& h, std::string& why) {
  const unsigned flags = d[10];
  std::size_t pos = 13;
  if (flags & 0x80) pos += 3 * (std::size_t{2} << (flags & 7));
  for (;;) {
    if (pos >= n) return true;
    const std::size_t at = pos;
    const unsigned tag = d[pos++];
    if (tag == 0x21) {  // extension: label, (stb: a 4-byte graphic control block), sub-blocks
      if (pos >= n) return true;
      const unsigned label = d[pos++];
      if (label == 0xF9) {
        if (pos >= n) return true;
        const unsigned len = d[pos];
        if (len != 4) {  // stb skips the block and reads a tag next
          pos += 1 + len;
          continue;
        }
        pos += 5;
      }
      for (;;) {
        if (pos >= n) return true;
        const unsigned len = d[pos++];
        if (len == 0) break;
        pos += len;
      }
    } else if (tag == 0x2C) {
      if (pos + 9 > n) return true;
      const std::int64_t x = le16(d + pos), y = le16(d + pos + 2), w = le16(d + pos + 4), hh = le16(d + pos + 6);
      if (x + w > h.width || y + hh > h.height)
        return fail(why, "GIF: the first image (", w, " x ", hh, " at ", x, ", ", y,
                    ") does not fit the logical screen of ", h.width, " x ", h.height);
      const unsigned local = d[pos + 8];
      pos += 9;
      if (local & 0x80)
        pos += 3 * (std::size_t{2} << (local & 7));
      else if (!(flags & 0x80))
        return fail(why, "GIF: the first image has no colour table (neither a local nor a global one)");
      if (pos >= n) return true;
      if (d[pos] > 12)
        return fail(why, "GIF: the first image's LZW minimum code size is ", int{d[pos]},
                    "; allowed 2 to 8 (stb_image reads up to 12)");
      return true;
    } else if (tag == 0x3B) {
      return fail(why, "GIF: the file holds no image: its trailer (3B) at byte ", at,
                  " comes before any image descriptor (2C)");
    } else {
      return fail(why, "GIF: a block of type ", hex(tag, 2), " at byte ", at,
                  "; allowed 21 (extension), 2C (image) or 3B (trailer)");
    }
  }
}

}  // namespace zengen::data::decoder::detail
