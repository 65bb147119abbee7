// See image_check.hpp. Each format's reader follows what stb_image 2.27
// (Debian's libstb) reads, field by field, so that a file it accepts is one
// stb decodes into pixels it wrote; where the two could part (junk stb
// skips, a stream zlib and stb inflate differently) this reader is the
// stricter one and the file is refused with the reason.
#include "data/image_check.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "zengen/core/error.hpp"

namespace zengen::data::decoder {

namespace {

// STBI_MAX_DIMENSIONS of stb_image 2.27: it refuses a wider or taller image.
constexpr std::int64_t kStbMaxSide = std::int64_t{1} << 24;

template <typename... Args>
bool fail(std::string& why, Args&&... args) {
  why = zengen::detail::concat(std::forward<Args>(args)...);
  return false;
}

std::uint32_t be16(const unsigned char* p) { return (std::uint32_t{p[0]} << 8) | p[1]; }
std::uint32_t be32(const unsigned char* p) { return (be16(p) << 16) | be16(p + 2); }
std::uint32_t le16(const unsigned char* p) { return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8); }
std::uint32_t le32(const unsigned char* p) { return le16(p) | (le16(p + 2) << 16); }

std::string hex_bytes(const unsigned char* p, std::size_t n) {
  static const char* digits = "0123456789ABCDEF";
  std::string s;
  for (std::size_t i = 0; i < n; ++i) {
    if (i) s += ' ';
    s += digits[p[i] >> 4];
    s += digits[p[i] & 15];
  }
  return s;
}

std::string hex(std::uint32_t v, int digits) {
  static const char* d = "0123456789ABCDEF";
  std::string s = "0x";
  for (int i = digits - 1; i >= 0; --i) s += d[(v >> (4 * i)) & 15];
  return s;
}

// A PNG chunk type as text when it is four letters, else as bytes.
std::string chunk_name(const unsigned char* p) {
  for (int i = 0; i < 4; ++i)
    if (!((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= 'a' && p[i] <= 'z'))) return hex_bytes(p, 4);
  std::string name(1, '\'');
  name.append(reinterpret_cast<const char*>(p), 4);
  name += '\'';
  return name;
}

bool truncated_header(std::string& why, const char* what, std::size_t size) {
  return fail(why, "truncated: the file ends inside the ", what, " (the file holds ", size, " bytes)");
}

// ---------------------------------------------------------------- PNG

constexpr unsigned char kPngSignature[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};

constexpr std::uint32_t chunk_type(const char (&s)[5]) {
  return (std::uint32_t(std::uint8_t(s[0])) << 24) | (std::uint32_t(std::uint8_t(s[1])) << 16) |
         (std::uint32_t(std::uint8_t(s[2])) << 8) | std::uint32_t(std::uint8_t(s[3]));
}

struct PngHeader {
  std::uint32_t width = 0, height = 0;
  int depth = 0, colour = 0, interlace = 0;
  bool apple = false;     // a CgBI chunk first: raw deflate, no zlib header
  std::size_t after = 0;  // the first byte after the IHDR chunk
};

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

// ---------------------------------------------------------------- JPEG

struct JpegComponent {
  int id = 0, h = 1, v = 1, tq = 0;
  bool scanned = false;  // baseline: in a scan; progressive: in a first DC scan
};

const char* jpeg_marker_name(unsigned m) {
  switch (m) {
    case 0xC3: return "SOF3 (a lossless frame)";
    case 0xC5: return "SOF5 (a differential, hierarchical frame)";
    case 0xC6: return "SOF6 (a differential, hierarchical frame)";
    case 0xC7: return "SOF7 (a differential lossless frame)";
    case 0xC8: return "JPG (reserved)";
    case 0xC9: return "SOF9 (an arithmetic-coded frame)";
    case 0xCA: return "SOF10 (an arithmetic-coded progressive frame)";
    case 0xCB: return "SOF11 (an arithmetic-coded lossless frame)";
    case 0xCC: return "DAC (arithmetic coding conditioning)";
    case 0xCD: return "SOF13 (an arithmetic-coded hierarchical frame)";
    case 0xCE: return "SOF14 (an arithmetic-coded hierarchical frame)";
    case 0xCF: return "SOF15 (an arithmetic-coded hierarchical frame)";
    case 0xD8: return "a second SOI (start of image)";
    case 0xDE: return "DHP (a hierarchical progression)";
    case 0xDF: return "EXP (expand reference components)";
    case 0x00: return "FF 00 (a stuffed byte, outside a scan)";
    default:
      if (m >= 0xD0 && m <= 0xD7) return "RSTn (a restart marker, outside a scan)";
      return "a marker stb_image does not read";
  }
}

std::string table_list(const bool (&defined)[4]) {
  std::string s;
  for (int i = 0; i < 4; ++i)
    if (defined[i]) s += (s.empty() ? "" : ", ") + std::to_string(i);
  return s.empty() ? "none" : s;
}

// Walks a JPEG's segments and scans the way stb_image reads them.
class JpegWalk {
 public:
  enum Result { Ok, Fault, End };  // End: the file ends first (the decoder reports the truncation)

  template <typename... Args>
  static Result fault(std::string& why, Args&&... args) {
    fail(why, std::forward<Args>(args)...);
    return Fault;
  }

  JpegWalk(const unsigned char* d, std::size_t n) : d_(d), n_(n) {}

  std::uint32_t width = 0, height = 0;

  // header_only: stop after the frame header (SOF).
  Result run(bool header_only, std::string& why) {
    // SOI: FF (more FFs) D8, as stb's first marker read.
    std::size_t pos = 0;
    while (pos < n_ && d_[pos] == 0xFF) ++pos;
    if (pos >= n_) return End;
    pos++;  // D8, checked by the caller's signature test
    bool first = true;
    for (;;) {
      unsigned marker;
      if (pos >= n_) return End;
      if (d_[pos] != 0xFF) {
        // stb skips junk between segments before the frame header, except
        // right after SOI; after it, a segment must follow directly.
        if (first || have_sof_)
          return fault(why, "JPEG: byte ", hex(d_[pos], 2), " at offset ", pos,
                            " where a marker (FF xx) should follow the previous segment");
        while (pos < n_ && d_[pos] != 0xFF) ++pos;
        continue;
      }
      while (pos < n_ && d_[pos] == 0xFF) ++pos;
      if (pos >= n_) return End;
      marker = d_[pos++];
      first = false;
      const std::size_t at = pos - 2;
      Result r = Ok;
      if (marker == 0xC0 || marker == 0xC1 || marker == 0xC2) {
        if (have_sof_) return fault(why, "JPEG: a second frame header (SOF) at byte ", at);
        r = frame(pos, marker, why);
        if (r != Ok) return r;
        if (header_only) return Ok;
      } else if (marker == 0xDA) {
        if (!have_sof_) return fault(why, "JPEG: a scan (SOS) at byte ", at, " before the frame header (SOF)");
        r = scan(pos, why);
      } else if (marker == 0xD9) {
        if (!have_sof_) return fault(why, "JPEG: the image ends (EOI) before its frame header (SOF)");
        return end_of_image(why);
      } else if (marker == 0xDB) {
        r = dqt(pos, why);
      } else if (marker == 0xC4) {
        r = dht(pos, why);
      } else if (marker == 0xDD) {
        r = dri(pos, why);
      } else if (marker == 0xDC && have_sof_) {
        r = dnl(pos, why);
      } else if ((marker >= 0xE0 && marker <= 0xEF) || marker == 0xFE) {
        if (pos + 2 > n_) return End;
        const std::uint32_t len = be16(d_ + pos);
        if (len < 2)
          return fault(why, "JPEG: the ", marker == 0xFE ? std::string("COM") : "APP" + std::to_string(marker - 0xE0),
                            " segment at byte ", at, " declares length ", len, "; a length counts its own 2 bytes");
        pos += len;
      } else {
        return fault(why, "JPEG: marker FF ", hex(marker, 2).substr(2), " at byte ", at, ": ", jpeg_marker_name(marker),
                          "; stb_image reads baseline (SOF0, SOF1) and progressive (SOF2) Huffman-coded JPEGs");
      }
      if (r != Ok) return r;
    }
  }

 private:
  // The 2-byte length at pos, checked against `min`; End when cut.
  Result length(std::size_t pos, std::uint32_t& len, const char* what, std::string& why) {
    if (pos + 2 > n_) return End;
    len = be16(d_ + pos);
    if (len < 2)
      return fault(why, "JPEG: the ", what, " segment at byte ", pos - 2, " declares length ", len,
                        "; a length counts its own 2 bytes");
    return Ok;
  }

  Result dqt(std::size_t& pos, std::string& why) {
    std::uint32_t len;
    if (Result r = length(pos, len, "DQT", why); r != Ok) return r;
    std::int64_t left = std::int64_t{len} - 2;
    std::size_t p = pos + 2;
    while (left > 0) {
      if (p >= n_) return End;
      const unsigned precision = d_[p] >> 4, id = d_[p] & 15;
      if (precision > 1)
        return fault(why, "JPEG: a quantisation table (DQT) of precision ", precision,
                          "; allowed 0 (8-bit) or 1 (16-bit)");
      if (id > 3) return fault(why, "JPEG: a quantisation table (DQT) with id ", id, "; allowed 0 to 3");
      const std::size_t bytes = precision ? 129 : 65;
      if (p + bytes > n_) return End;
      qt_[id] = true;
      p += bytes;
      left -= static_cast<std::int64_t>(bytes);
    }
    if (left != 0)
      return fault(why, "JPEG: the DQT segment at byte ", pos - 2, " declares length ", len,
                        ", which does not match the tables it holds");
    pos = p;
    return Ok;
  }

  Result dht(std::size_t& pos, std::string& why) {
    std::uint32_t len;
    if (Result r = length(pos, len, "DHT", why); r != Ok) return r;
    std::int64_t left = std::int64_t{len} - 2;
    std::size_t p = pos + 2;
    while (left > 0) {
      if (p >= n_) return End;
      const unsigned tc = d_[p] >> 4, th = d_[p] & 15;
      if (tc > 1 || th > 3)
        return fault(why, "JPEG: a Huffman table (DHT) of class ", tc, " and id ", th,
                          "; allowed class 0 (DC) or 1 (AC) and id 0 to 3");
      const char* cls = tc ? "AC" : "DC";
      // stb_image 2.27 (fixed upstream in 2.28) writes past its 257-entry
      // tables for more than 256 codes, before anything notices, and reads
      // zeros past the end of the file: count what it would see.
      int codes = 0;
      for (std::size_t i = p + 1; i <= p + 16 && i < n_; ++i) codes += d_[i];
      if (codes > 256)
        return fault(why, "JPEG: a Huffman table (DHT, class ", cls, ", id ", th, ") declares ", codes,
                          " codes, more than the 256 a table holds");
      if (p + 17 > n_) return End;
      // stb's "bad code lengths": more codes of a length than fit.
      std::uint32_t code = 0;
      for (int j = 1; j <= 16; ++j) {
        const unsigned count = d_[p + j];
        code += count;
        if (count && code - 1 >= (std::uint32_t{1} << j))
          return fault(why, "JPEG: a Huffman table (DHT, class ", cls, ", id ", th, ") declares more codes of ",
                            j, " bits than ", j, " bits can hold");
        code <<= 1;
      }
      if (p + 17 + static_cast<std::size_t>(codes) > n_) return End;
      (tc ? ac_ : dc_)[th] = true;
      p += 17 + static_cast<std::size_t>(codes);
      left -= 17 + codes;
    }
    if (left != 0)
      return fault(why, "JPEG: the DHT segment at byte ", pos - 2, " declares length ", len,
                        ", which does not match the tables it holds");
    pos = p;
    return Ok;
  }

  Result dri(std::size_t& pos, std::string& why) {
    if (pos + 4 > n_) return End;
    if (be16(d_ + pos) != 4)
      return fault(why, "JPEG: the DRI segment at byte ", pos - 2, " declares length ", be16(d_ + pos),
                        "; it must be 4");
    restart_ = be16(d_ + pos + 2);
    pos += 4;
    return Ok;
  }

  Result dnl(std::size_t& pos, std::string& why) {
    if (pos + 4 > n_) return End;
    if (be16(d_ + pos) != 4)
      return fault(why, "JPEG: the DNL segment declares length ", be16(d_ + pos), "; it must be 4");
    if (be16(d_ + pos + 2) != height)
      return fault(why, "JPEG: the DNL segment gives height ", be16(d_ + pos + 2), ", the frame header ", height);
    pos += 4;
    return Ok;
  }

  Result frame(std::size_t& pos, unsigned marker, std::string& why) {
    std::uint32_t len;
    if (Result r = length(pos, len, "SOF", why); r != Ok) return r;
    if (len < 11) return fault(why, "JPEG: the frame header (SOF) declares length ", len, "; at least 11");
    if (pos + 8 > n_) return End;
    const unsigned precision = d_[pos + 2];
    height = be16(d_ + pos + 3);
    width = be16(d_ + pos + 5);
    nf_ = d_[pos + 7];
    if (precision != 8)
      return fault(why, "JPEG: the frame header (SOF) gives ", precision,
                        "-bit samples; stb_image reads 8-bit JPEGs only");
    if (height == 0)
      return fault(why, "JPEG: the frame header (SOF) gives height 0 (the height would follow in a DNL segment); "
                             "stb_image does not read such files");
    if (width == 0) return fault(why, "JPEG: the frame header (SOF) gives width 0; allowed 1 to 65535");
    if (nf_ != 1 && nf_ != 3 && nf_ != 4)
      return fault(why, "JPEG: the frame header (SOF) declares ", nf_,
                        " components; allowed 1 (grey), 3 (YCbCr or RGB) or 4 (CMYK)");
    if (len != 8 + 3u * nf_)
      return fault(why, "JPEG: the frame header (SOF) declares length ", len, "; ", nf_, " components need ",
                        8 + 3 * nf_);
    if (pos + len > n_) return End;
    for (int i = 0; i < nf_; ++i) {
      const unsigned char* c = d_ + pos + 8 + 3 * i;
      comp_[i] = {c[0], c[1] >> 4, c[1] & 15, c[2], false};
      if (comp_[i].h < 1 || comp_[i].h > 4 || comp_[i].v < 1 || comp_[i].v > 4)
        return fault(why, "JPEG: component ", i + 1, " (id ", comp_[i].id, ") has sampling factors ", comp_[i].h,
                          " x ", comp_[i].v, " (SOF); allowed 1 to 4 each");
      if (comp_[i].tq > 3)
        return fault(why, "JPEG: component ", i + 1, " (id ", comp_[i].id, ") uses quantisation table ",
                          comp_[i].tq, " (SOF); allowed 0 to 3");
      hmax_ = std::max(hmax_, comp_[i].h);
      vmax_ = std::max(vmax_, comp_[i].v);
    }
    for (int i = 0; i < nf_; ++i)
      if (hmax_ % comp_[i].h || vmax_ % comp_[i].v)
        return fault(why, "JPEG: component ", i + 1, " (id ", comp_[i].id, ") has sampling factors ", comp_[i].h,
                          " x ", comp_[i].v, ", which do not divide the largest (", hmax_, " x ", vmax_,
                          "); stb_image needs whole ratios");
    progressive_ = marker == 0xC2;
    have_sof_ = true;
    pos += len;
    return Ok;
  }

  Result scan(std::size_t& pos, std::string& why) {
    ++scans_;
    if (pos + 3 > n_) return End;
    const std::uint32_t len = be16(d_ + pos);
    const int ns = d_[pos + 2];
    if (ns < 1 || ns > 4 || ns > nf_)
      return fault(why, "JPEG: scan ", scans_, " (SOS) names ", ns, " components; allowed 1 to ", nf_,
                        " (the frame's)");
    if (len != 6 + 2u * ns)
      return fault(why, "JPEG: scan ", scans_, " (SOS) declares length ", len, "; ", ns, " components need ",
                        6 + 2 * ns);
    if (pos + len > n_) return End;
    const unsigned char* s = d_ + pos + 3;
    const unsigned ss = s[2 * ns], se = s[2 * ns + 1], ah = s[2 * ns + 2] >> 4, al = s[2 * ns + 2] & 15;
    if (progressive_) {
      if (ss > 63 || se > 63 || ss > se || ah > 13 || al > 13)
        return fault(why, "JPEG: progressive scan ", scans_, " (SOS) has spectral selection ", ss, " to ", se,
                          " and successive approximation ", ah, "/", al,
                          "; allowed 0 <= start <= end <= 63, each approximation at most 13");
      if (ss == 0 && se != 0)
        return fault(why, "JPEG: progressive scan ", scans_, " (SOS) mixes DC and AC coefficients (spectral "
                               "selection 0 to ", se, "); a DC scan ends at 0");
      if (ns > 1 && ss != 0)
        return fault(why, "JPEG: progressive scan ", scans_, " (SOS) interleaves ", ns,
                          " components in an AC scan (spectral selection ", ss, " to ", se, "); AC scans hold one");
    } else if (ss != 0 || ah != 0 || al != 0) {
      return fault(why, "JPEG: scan ", scans_, " (SOS) of a sequential JPEG has spectral selection start ", ss,
                        " and successive approximation ", ah, "/", al, "; allowed 0, 0/0");
    }
    const bool uses_dc = !progressive_ || (ss == 0 && ah == 0), uses_ac = !progressive_ || ss > 0;
    int members[4];
    for (int k = 0; k < ns; ++k) {
      const int id = s[2 * k], td = s[2 * k + 1] >> 4, ta = s[2 * k + 1] & 15;
      int which = 0;
      while (which < nf_ && comp_[which].id != id) ++which;
      if (which == nf_) {
        std::string ids;
        for (int i = 0; i < nf_; ++i) ids += (i ? ", " : "") + std::to_string(comp_[i].id);
        return fault(why, "JPEG: scan ", scans_, " (SOS) names component id ", id,
                          ", which the frame header (SOF) does not have (its ids: ", ids, ")");
      }
      if (td > 3 || ta > 3)
        return fault(why, "JPEG: scan ", scans_, " (SOS) gives component id ", id, " Huffman tables DC ", td,
                          " and AC ", ta, "; allowed 0 to 3");
      const JpegComponent& c = comp_[which];
      if (!qt_[c.tq])
        return fault(why, "JPEG: component ", which + 1, " (id ", id, ") uses quantisation table ", c.tq,
                          " (SOF), but no DQT segment before scan ", scans_, " defines it (defined: ",
                          table_list(qt_), ")");
      if (uses_dc && !dc_[td])
        return fault(why, "JPEG: scan ", scans_, " (SOS) uses DC Huffman table ", td, " for component id ", id,
                          ", but no DHT segment before it defines that table (defined DC tables: ", table_list(dc_),
                          ")");
      if (uses_ac && !ac_[ta])
        return fault(why, "JPEG: scan ", scans_, " (SOS) uses AC Huffman table ", ta, " for component id ", id,
                          ", but no DHT segment before it defines that table (defined AC tables: ", table_list(ac_),
                          ")");
      members[k] = which;
    }
    pos += len;

    // The entropy-coded data: to the first marker other than a stuffed
    // FF 00 or a restart marker, counting the restart markers.
    std::uint64_t restarts = 0;
    for (;;) {
      const void* ff = pos < n_ ? std::memchr(d_ + pos, 0xFF, n_ - pos) : nullptr;
      if (!ff) return End;
      std::size_t q = static_cast<std::size_t>(static_cast<const unsigned char*>(ff) - d_) + 1;
      while (q < n_ && d_[q] == 0xFF) ++q;
      if (q >= n_) return End;
      if (d_[q] == 0x00 || (d_[q] >= 0xD0 && d_[q] <= 0xD7)) {
        restarts += d_[q] != 0x00;
        pos = q + 1;
        continue;
      }
      pos = q - 1;  // the marker's FF: the segment loop reads it
      break;
    }
    // stb_image decodes a restart interval's MCUs, then expects a restart
    // marker; where there is none it stops the scan and returns the image
    // with the rest of its pixels unwritten.
    std::uint64_t mcus;
    if (ns > 1) {
      mcus = std::uint64_t{(width + 8u * hmax_ - 1) / (8u * hmax_)} * ((height + 8u * vmax_ - 1) / (8u * vmax_));
    } else {
      const JpegComponent& c = comp_[members[0]];
      const std::uint64_t cx = (std::uint64_t{width} * c.h + hmax_ - 1) / hmax_;
      const std::uint64_t cy = (std::uint64_t{height} * c.v + vmax_ - 1) / vmax_;
      mcus = ((cx + 7) / 8) * ((cy + 7) / 8);
    }
    if (restart_ > 0) {
      const std::uint64_t need = (mcus + restart_ - 1) / restart_ - 1;
      if (restarts < need)
        return fault(why, "JPEG: scan ", scans_, " holds ", restarts, " restart marker", restarts == 1 ? "" : "s",
                          ", but its ", mcus, " MCUs in restart intervals of ", restart_, " (DRI) need ", need,
                          "; stb_image would stop at the first missing one and leave the rest of the image unwritten");
    }
    for (int k = 0; k < ns; ++k)
      if (uses_dc) comp_[members[k]].scanned = true;
    return Ok;
  }

  Result end_of_image(std::string& why) {
    for (int i = 0; i < nf_; ++i)
      if (!comp_[i].scanned)
        return fault(why, "JPEG: component ", i + 1, " (id ", comp_[i].id, ") ",
                          progressive_ ? "has no first DC scan (spectral selection 0, approximation 0)"
                                       : "appears in no scan",
                          " before the end of the image (EOI); its pixels would be left unwritten");
    return Ok;
  }

  const unsigned char* d_;
  std::size_t n_;
  bool qt_[4] = {}, dc_[4] = {}, ac_[4] = {};
  std::uint32_t restart_ = 0;
  bool have_sof_ = false, progressive_ = false;
  int nf_ = 0, hmax_ = 1, vmax_ = 1, scans_ = 0;
  JpegComponent comp_[4];
};

bool is_jpeg(const unsigned char* d, std::size_t n) {
  std::size_t i = 0;
  while (i < n && d[i] == 0xFF) ++i;
  return i > 0 && i < n && d[i] == 0xD8;
}

bool jpeg_header(const unsigned char* d, std::size_t n, Header& h, std::string& why) {
  JpegWalk walk(d, n);
  switch (walk.run(true, why)) {
    case JpegWalk::Ok:
      h.width = walk.width;
      h.height = walk.height;
      return true;
    case JpegWalk::End: return truncated_header(why, "JPEG header (before the frame header, SOF, is complete)", n);
    default: return false;
  }
}

bool jpeg_body(const unsigned char* d, std::size_t n, const Header& h, std::string& why) {
  if (h.width * h.height > INT_MAX / 4)  // stb's "too large" (bytes of the decoded planes)
    return fail(why, "JPEG: a ", h.width, " x ", h.height, " image is more than stb_image decodes (2^31 bytes)");
  JpegWalk walk(d, n);
  return walk.run(false, why) != JpegWalk::Fault;
}

// ---------------------------------------------------------------- BMP

struct BmpHeader {
  std::uint32_t offset = 0, header_size = 0, compression = 0, colours_used = 0;
  std::int64_t width = 0, height = 0;
  int bpp = 0;
};

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

int popcount(std::uint32_t v) {
  int c = 0;
  for (; v; v &= v - 1) ++c;
  return c;
}

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

// ---------------------------------------------------------------- GIF

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

// ---------------------------------------------------------------- TGA

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

}  // namespace

const char* format_name(Format format) {
  switch (format) {
    case Format::Png: return "PNG";
    case Format::Jpeg: return "JPEG";
    case Format::Bmp: return "BMP";
    case Format::Gif: return "GIF";
    case Format::Tga: return "TGA";
  }
  return "image";
}

bool read_header(const unsigned char* data, std::size_t size, Header& header, std::string& why) {
  if (size >= 4 && std::memcmp(data, "\x89PNG", 4) == 0) {
    header.format = Format::Png;
    PngHeader h;
    if (!png_header(data, size, h, why)) return false;
    header.width = h.width;
    header.height = h.height;
    return true;
  }
  if (is_jpeg(data, size)) {
    header.format = Format::Jpeg;
    return jpeg_header(data, size, header, why);
  }
  if (size >= 2 && data[0] == 'B' && data[1] == 'M') {
    header.format = Format::Bmp;
    BmpHeader b;
    if (!bmp_header(data, size, b, why)) return false;
    header.width = b.width;
    header.height = b.height < 0 ? -b.height : b.height;
    return true;
  }
  if (size >= 4 && std::memcmp(data, "GIF8", 4) == 0) {
    header.format = Format::Gif;
    return gif_header(data, size, header, why);
  }
  header.format = Format::Tga;
  return tga_header(data, size, header, why);
}

bool check_body(const unsigned char* data, std::size_t size, const Header& header, std::string& why) {
  switch (header.format) {
    case Format::Png: return png_body(data, size, why);
    case Format::Jpeg: return jpeg_body(data, size, header, why);
    case Format::Bmp: return bmp_body(data, size, why);
    case Format::Gif: return gif_body(data, size, header, why);
    case Format::Tga: return tga_body(header, why);
  }
  return true;
}

}  // namespace zengen::data::decoder
