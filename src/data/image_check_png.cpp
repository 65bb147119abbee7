// PNG: the signature, IHDR and the chunks; palette indices checked on the inflated, unfiltered rows (every depth, Adam7).
// Part of the image checks: see image_check.hpp (what and why) and
// image_check_formats.hpp (the shared helpers).
#include "data/image_check_formats.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <vector>

namespace zengen::data::decoder::detail {

namespace {

constexpr unsigned char kPngSignature[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};

constexpr std::uint32_t chunk_type(const char (&s)[5]) {
  return (std::uint32_t(std::uint8_t(s[0])) << 24) | (std::uint32_t(std::uint8_t(s[1])) << 16) |
         (std::uint32_t(std::uint8_t(s[2])) << 8) | std::uint32_t(std::uint8_t(s[3]));
}

const char* png_colour_name(int colour) {
  switch (colour) {
    case 0: return "grey";
    case 2: return "RGB";
    case 3: return "palette";
    case 4: return "grey and alpha";
    case 6: return "RGBA";
    default: return "unknown";
  }
}

}  // namespace

bool png_header(const unsigned char* d, std::size_t n, PngHeader& h, std::string& why) {
  if (n < 8) return truncated_header(why, "PNG signature", n);
  if (std::memcmp(d, kPngSignature, 8) != 0)
    return fail(why, "PNG: the signature is ", hex_bytes(d, 8),
                "; a PNG starts with 89 50 4E 47 0D 0A 1A 0A (a file copied in text mode changes these bytes)");
  std::size_t pos = 8;
  for (;;) {
    if (pos + 8 > n) return truncated_header(why, "PNG header (IHDR chunk)", n);
    const std::uint32_t len = be32(d + pos), type = be32(d + pos + 4);
    if (type != chunk_type("CgBI")) break;
    h.apple = true;  // Apple's CgBI chunk, which stb skips before IHDR
    if (len > n - pos - 12) return truncated_header(why, "PNG header (CgBI chunk)", n);
    pos += 12 + len;
  }
  const std::uint32_t len = be32(d + pos), type = be32(d + pos + 4);
  if (type != chunk_type("IHDR"))
    return fail(why, "PNG: the first chunk is ", chunk_name(d + pos + 4), "; a PNG starts with its IHDR chunk");
  if (len != 13) return fail(why, "PNG: the IHDR chunk holds ", len, " bytes; it must hold 13");
  if (pos + 8 + 13 > n) return truncated_header(why, "PNG header (IHDR chunk)", n);
  const unsigned char* f = d + pos + 8;
  h.width = be32(f);
  h.height = be32(f + 4);
  h.depth = f[8];
  h.colour = f[9];
  h.interlace = f[12];
  if (h.width == 0 || h.width > kStbMaxSide)
    return fail(why, "PNG: the IHDR width is ", h.width, "; allowed 1 to ", kStbMaxSide, " (the most stb_image decodes)");
  if (h.height == 0 || h.height > kStbMaxSide)
    return fail(why, "PNG: the IHDR height is ", h.height, "; allowed 1 to ", kStbMaxSide,
                " (the most stb_image decodes)");
  if (h.depth != 1 && h.depth != 2 && h.depth != 4 && h.depth != 8 && h.depth != 16)
    return fail(why, "PNG: the IHDR bit depth is ", h.depth, "; allowed 1, 2, 4, 8 or 16");
  if (h.colour != 0 && h.colour != 2 && h.colour != 3 && h.colour != 4 && h.colour != 6)
    return fail(why, "PNG: the IHDR colour type is ", h.colour,
                "; allowed 0 (grey), 2 (RGB), 3 (palette), 4 (grey and alpha) or 6 (RGBA)");
  if (h.colour == 3 && h.depth == 16)
    return fail(why, "PNG: the IHDR bit depth 16 is not allowed for colour type 3 (palette); allowed 1, 2, 4 or 8");
  if ((h.colour == 2 || h.colour == 4 || h.colour == 6) && h.depth < 8)
    return fail(why, "PNG: the IHDR bit depth ", h.depth, " is not allowed for colour type ", h.colour, " (",
                png_colour_name(h.colour), "); allowed 8 or 16");
  if (f[10] != 0) return fail(why, "PNG: the IHDR compression method is ", int{f[10]}, "; allowed 0 (deflate)");
  if (f[11] != 0) return fail(why, "PNG: the IHDR filter method is ", int{f[11]}, "; allowed 0");
  if (h.interlace > 1)
    return fail(why, "PNG: the IHDR interlace method is ", h.interlace, "; allowed 0 (none) or 1 (Adam7)");
  h.after = pos + 8 + 13 + 4;
  return true;
}

namespace {

// Inflates a palette image's data (zlib, streamed chunk by chunk), undoes
// the row filters and checks every pixel's index against the palette:
// stb_image 2.27 looks each index up in a 256-entry palette on its stack,
// of which only the PLTE chunk's entries are set.
class PngIndexCheck {
 public:
  PngIndexCheck(const PngHeader& h, unsigned palette) : h_(h), palette_(palette), need_header_(!h.apple) {
    start_pass(0);
  }
  ~PngIndexCheck() {
    if (inflating_) inflateEnd(&zs_);
  }
  PngIndexCheck(const PngIndexCheck&) = delete;
  PngIndexCheck& operator=(const PngIndexCheck&) = delete;

  // One IDAT chunk's data.
  bool feed(const unsigned char* p, std::size_t n, std::string& why) {
    while (need_header_ && n > 0) {  // the 2-byte zlib header, as stb checks it
      header_[have_header_++] = *p++;
      --n;
      if (have_header_ == 2) {
        need_header_ = false;
        const unsigned cmf = header_[0], flg = header_[1];
        if ((cmf * 256 + flg) % 31 != 0 || (cmf & 15) != 8 || (flg & 32))
          return fail(why, "PNG: the image data (IDAT) starts with the zlib header ", hex_bytes(header_, 2),
                      ", which is not a deflate stream without a preset dictionary");
      }
    }
    if (need_header_ || done_ || ended_ || n == 0) return true;
    if (!inflating_) {
      zs_ = {};
      if (inflateInit2(&zs_, -15) != Z_OK) return fail(why, "PNG: cannot start zlib to check the palette indices");
      inflating_ = true;
    }
    zs_.next_in = const_cast<unsigned char*>(p);
    zs_.avail_in = static_cast<uInt>(n);
    unsigned char out[1 << 15];
    for (;;) {
      zs_.next_out = out;
      zs_.avail_out = sizeof out;
      const int r = inflate(&zs_, Z_NO_FLUSH);
      const std::size_t got = sizeof out - zs_.avail_out;
      inflated_ += got;
      if (!rows(out, got, why)) return false;
      if (done_) return true;  // every row seen: what follows does not matter
      if (r == Z_STREAM_END) {
        ended_ = true;
        return true;
      }
      if (r == Z_BUF_ERROR) return true;  // needs the next chunk
      if (r != Z_OK)
        return fail(why, "PNG: the image data (IDAT) does not inflate (zlib: ",
                    zs_.msg ? std::string(zs_.msg) : "error " + std::to_string(r), ")");
      if (zs_.avail_in == 0 && zs_.avail_out != 0) return true;  // all used, nothing pending
    }
  }

  // At IEND: every row must have been there.
  bool finish(std::string& why) const {
    if (done_) return true;
    const std::uint64_t need = needed_bytes();
    return fail(why, "PNG: the image data (IDAT) inflates to ", inflated_, " bytes", ended_ ? "" : " before it stops",
                ", fewer than the ", need, " a ", h_.width, " x ", h_.height, " image of bit depth ", h_.depth,
                h_.interlace ? " (interlaced)" : "", " needs");
  }

 private:
  static constexpr int kX0[7] = {0, 4, 0, 2, 0, 1, 0}, kY0[7] = {0, 0, 4, 0, 2, 0, 1};
  static constexpr int kDx[7] = {8, 8, 4, 4, 2, 2, 1}, kDy[7] = {8, 8, 8, 4, 4, 2, 2};

  struct Pass {
    std::uint32_t x0, y0, dx, dy, w, h;
  };
  Pass pass_geometry(int p) const {
    if (!h_.interlace) return {0, 0, 1, 1, h_.width, h_.height};
    Pass g{std::uint32_t(kX0[p]), std::uint32_t(kY0[p]), std::uint32_t(kDx[p]), std::uint32_t(kDy[p]), 0, 0};
    g.w = h_.width > g.x0 ? (h_.width - g.x0 + g.dx - 1) / g.dx : 0;
    g.h = h_.height > g.y0 ? (h_.height - g.y0 + g.dy - 1) / g.dy : 0;
    return g;
  }
  std::uint64_t row_bytes(std::uint32_t w) const { return (std::uint64_t{w} * h_.depth + 7) / 8; }
  std::uint64_t needed_bytes() const {
    std::uint64_t total = 0;
    for (int p = 0; p < (h_.interlace ? 7 : 1); ++p) {
      const Pass g = pass_geometry(p);
      if (g.w && g.h) total += (row_bytes(g.w) + 1) * g.h;
    }
    return total;
  }
  void start_pass(int p) {
    for (; p < (h_.interlace ? 7 : 1); ++p) {
      pass_ = pass_geometry(p);
      if (pass_.w && pass_.h) {
        pass_index_ = p;
        row_ = 0;
        col_ = 0;
        const auto rb = static_cast<std::size_t>(row_bytes(pass_.w));
        cur_.assign(rb, 0);
        prev_.assign(rb, 0);
        return;
      }
    }
    done_ = true;
  }

  bool rows(const unsigned char* p, std::size_t n, std::string& why) {
    std::size_t i = 0;
    while (i < n && !done_) {
      if (col_ == 0) {
        filter_ = p[i++];
        if (filter_ > 4)
          return fail(why, "PNG: row ", row_,
                      h_.interlace ? " of interlace pass " + std::to_string(pass_index_ + 1) : std::string(),
                      " has filter type ", int{filter_}, "; allowed 0 to 4");
        col_ = 1;
        continue;
      }
      const std::size_t k = std::min(cur_.size() - (col_ - 1), n - i);
      std::memcpy(cur_.data() + (col_ - 1), p + i, k);
      i += k;
      col_ += k;
      if (col_ - 1 == cur_.size()) {
        if (!row_done(why)) return false;
        col_ = 0;
        std::swap(cur_, prev_);
        if (++row_ == pass_.h) start_pass(pass_index_ + 1);
      }
    }
    return true;
  }

  bool row_done(std::string& why) {
    unsigned char* c = cur_.data();
    const unsigned char* b = prev_.data();
    const std::size_t m = cur_.size();
    switch (filter_) {  // one byte per filter unit: bit depths up to 8
      case 1:
        for (std::size_t i = 1; i < m; ++i) c[i] = static_cast<unsigned char>(c[i] + c[i - 1]);
        break;
      case 2:
        for (std::size_t i = 0; i < m; ++i) c[i] = static_cast<unsigned char>(c[i] + b[i]);
        break;
      case 3:
        for (std::size_t i = 0; i < m; ++i) c[i] = static_cast<unsigned char>(c[i] + (((i ? c[i - 1] : 0) + b[i]) >> 1));
        break;
      case 4:
        for (std::size_t i = 0; i < m; ++i) {
          const int a = i ? c[i - 1] : 0, up = b[i], ul = i ? b[i - 1] : 0;
          const int pp = a + up - ul, pa = std::abs(pp - a), pb = std::abs(pp - up), pc = std::abs(pp - ul);
          c[i] = static_cast<unsigned char>(c[i] + (pa <= pb && pa <= pc ? a : pb <= pc ? up : ul));
        }
        break;
      default: break;
    }
    const int depth = h_.depth;
    for (std::uint32_t x = 0; x < pass_.w; ++x) {
      unsigned index;
      if (depth == 8) {
        index = c[x];
      } else {
        const std::uint64_t bit = std::uint64_t{x} * depth;
        index = (c[bit / 8] >> (8 - depth - bit % 8)) & ((1u << depth) - 1);
      }
      if (index >= palette_)
        return fail(why, "PNG: the pixel at (", pass_.x0 + x * pass_.dx, ", ", pass_.y0 + row_ * pass_.dy,
                    ") has palette index ", index, ", but the PLTE chunk holds ", palette_, " colour",
                    palette_ == 1 ? "" : "s", " (indices 0 to ", palette_ - 1, ")");
    }
    return true;
  }

  PngHeader h_;
  unsigned palette_;
  bool need_header_;
  unsigned char header_[2] = {0, 0};
  int have_header_ = 0;
  z_stream zs_{};
  bool inflating_ = false, ended_ = false, done_ = false;
  std::uint64_t inflated_ = 0;
  Pass pass_{};
  int pass_index_ = 0;
  std::uint32_t row_ = 0;
  std::size_t col_ = 0;  // 0: the filter byte comes next; else 1 + bytes of the row so far
  unsigned char filter_ = 0;
  std::vector<unsigned char> cur_, prev_;
};

}  // namespace

bool png_body(const unsigned char* d, std::size_t n, std::string& why) {
  PngHeader h;
  if (!png_header(d, n, h, why)) return false;
  const bool palette_image = h.colour == 3;
  const std::uint32_t channels = palette_image ? 4 : (h.colour & 2 ? 3 : 1) + (h.colour & 4 ? 1 : 0);
  if ((std::uint32_t{1} << 30) / h.width / channels < h.height)
    return fail(why, "PNG: a ", h.width, " x ", h.height, " image of ", channels,
                " channels is more than stb_image decodes (2^30 bytes)");
  std::size_t pos = h.after;
  unsigned palette = 0;  // PLTE entries
  bool seen_plte = false, seen_idat = false;
  std::unique_ptr<PngIndexCheck> indices;
  for (;;) {
    if (pos > n || n - pos < 12) return true;  // cut: the decoder's truncation check reports it
    const std::uint32_t len = be32(d + pos), type = be32(d + pos + 4);
    if (len > n - pos - 12) return true;
    const unsigned char* body = d + pos + 8;
    if (type == chunk_type("IHDR")) return fail(why, "PNG: a second IHDR chunk at byte ", pos);
    if (type == chunk_type("CgBI")) return fail(why, "PNG: an Apple CgBI chunk after IHDR, at byte ", pos);
    if (type == chunk_type("PLTE")) {
      if (len > 768 || len % 3 != 0)
        return fail(why, "PNG: the PLTE chunk holds ", len, " bytes; allowed a multiple of 3 up to 768 (1 to 256 colours)");
      if (palette_image) {
        if (seen_plte) return fail(why, "PNG: a second PLTE chunk at byte ", pos, "; a PNG has at most one");
        if (seen_idat) return fail(why, "PNG: the PLTE chunk comes after the image data (IDAT); it must come before");
        if (len == 0) return fail(why, "PNG: the PLTE chunk is empty; a palette image needs 1 to 256 colours");
        palette = len / 3;
        seen_plte = true;
      }
    } else if (type == chunk_type("tRNS")) {
      if (seen_idat) return fail(why, "PNG: the tRNS chunk comes after the image data (IDAT); it must come before");
      if (palette_image) {
        if (!seen_plte) return fail(why, "PNG: the tRNS chunk comes before the PLTE chunk");
        if (len > palette)
          return fail(why, "PNG: the tRNS chunk holds ", len, " alpha values, more than the ", palette,
                      " colours of the PLTE chunk");
      } else {
        if (h.colour == 4 || h.colour == 6)
          return fail(why, "PNG: a tRNS chunk in an image with an alpha channel (colour type ", h.colour, ")");
        const std::uint32_t want = 2 * channels;
        if (len != want)
          return fail(why, "PNG: the tRNS chunk holds ", len, " bytes; colour type ", h.colour, " (",
                      png_colour_name(h.colour), ") needs ", want);
      }
    } else if (type == chunk_type("IDAT")) {
      if (palette_image && !seen_plte)
        return fail(why, "PNG: image data (IDAT) before any PLTE chunk; a palette image (colour type 3) needs its "
                         "palette first");
      if (palette_image && !seen_idat && palette < (1u << h.depth)) indices = std::make_unique<PngIndexCheck>(h, palette);
      seen_idat = true;
      if (indices && !indices->feed(body, len, why)) return false;
    } else if (type == chunk_type("IEND")) {
      if (!seen_idat) return fail(why, "PNG: no image data (IDAT chunk) before IEND");
      return !indices || indices->finish(why);
    } else if ((body[-4] & 0x20) == 0) {  // a critical chunk (upper-case first letter) stb does not know
      return fail(why, "PNG: an unknown critical chunk ", chunk_name(body - 4), " at byte ", pos,
                  "; stb_image reads IHDR, PLTE, IDAT and IEND, and skips ancillary chunks (lower-case first letter)");
    }
    pos += 12 + std::size_t{len};
  }
}

}  // namespace zengen::data::decoder::detail
