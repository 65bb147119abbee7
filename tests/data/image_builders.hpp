// Image files built byte by byte for the decoder's tests: PNGs (zlib and
// CRCs from zlib), BMPs with any palette and offset, grey JPEGs with
// hand-made Huffman tables (baseline or progressive, with or without
// restart markers), stb_image_write's files to patch, and a decode under a
// chosen heap and stack pattern (to show that no pixel depends on memory
// the decoder did not write).
#pragma once

#include <malloc.h>
#include <stb_image_write.h>
#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "zengen/zengen.hpp"

namespace zengen::testing::images {

inline void put_be32(std::string& s, std::uint32_t v) {
  for (int i = 3; i >= 0; --i) s += static_cast<char>((v >> (8 * i)) & 0xff);
}
inline void put_be16(std::string& s, std::uint32_t v) {
  s += static_cast<char>((v >> 8) & 0xff);
  s += static_cast<char>(v & 0xff);
}
inline void put_le32(std::string& s, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
}
inline void put_le16(std::string& s, std::uint32_t v) {
  s += static_cast<char>(v & 0xff);
  s += static_cast<char>((v >> 8) & 0xff);
}
inline void set_be32(std::string& s, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) s[at + i] = static_cast<char>((v >> (8 * (3 - i))) & 0xff);
}
inline void set_le32(std::string& s, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) s[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
inline void set_le16(std::string& s, std::size_t at, std::uint32_t v) {
  s[at] = static_cast<char>(v & 0xff);
  s[at + 1] = static_cast<char>((v >> 8) & 0xff);
}

// ---- PNG

/// One chunk: length, type, data, CRC.
inline std::string png_chunk(const std::string& type, const std::string& data) {
  std::string c;
  put_be32(c, static_cast<std::uint32_t>(data.size()));
  const std::string body = type + data;
  c += body;
  put_be32(c, static_cast<std::uint32_t>(
                  crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()))));
  return c;
}

inline std::string zlib_compress(const std::string& raw, int level = 6) {
  uLongf n = compressBound(static_cast<uLong>(raw.size()));
  std::string out(n, '\0');
  if (compress2(reinterpret_cast<Bytef*>(out.data()), &n, reinterpret_cast<const Bytef*>(raw.data()),
                static_cast<uLong>(raw.size()), level) != Z_OK)
    throw std::runtime_error("compress2 failed");
  out.resize(n);
  return out;
}

inline std::string png_ihdr(std::uint32_t w, std::uint32_t h, int depth, int colour, int interlace = 0) {
  std::string d;
  put_be32(d, w);
  put_be32(d, h);
  d += static_cast<char>(depth);
  d += static_cast<char>(colour);
  d += '\0';
  d += '\0';
  d += static_cast<char>(interlace);
  return d;
}

/// PNG scanlines from rows of bytes (each row: its filter byte, then the pixels' bytes).
inline std::string raw_rows(const std::vector<std::vector<std::uint8_t>>& rows) {
  std::string r;
  for (const auto& row : rows)
    for (std::uint8_t b : row) r += static_cast<char>(b);
  return r;
}

/// A PNG: signature, IHDR, `before` (chunks up to the image data, e.g. PLTE),
/// one IDAT with `raw` (filter bytes included) compressed, IEND.
inline std::string png_file(std::uint32_t w, std::uint32_t h, int depth, int colour, const std::string& raw,
                            const std::string& before = "", int interlace = 0, int level = 6) {
  return std::string("\x89PNG\r\n\x1a\n", 8) + png_chunk("IHDR", png_ihdr(w, h, depth, colour, interlace)) + before +
         png_chunk("IDAT", zlib_compress(raw, level)) + png_chunk("IEND", "");
}

/// A PLTE chunk of `n` colours: colour i is (10 i + 1, 10 i + 2, 10 i + 3).
inline std::string plte(int n) {
  std::string d;
  for (int i = 0; i < n; ++i) {
    d += static_cast<char>(10 * i + 1);
    d += static_cast<char>(10 * i + 2);
    d += static_cast<char>(10 * i + 3);
  }
  return png_chunk("PLTE", d);
}

// ---- BMP

struct BmpSpec {
  std::int32_t width = 4, height = 2;  ///< negative height: top-down
  int bpp = 8;
  std::uint32_t colours_used = 0;      ///< biClrUsed
  int palette_entries = 2;             ///< 4-byte entries written after the header
  std::int64_t offset = -1;            ///< bfOffBits; -1: right after the palette
  /// Pixels, top row first: palette indices (bpp <= 8) or B, G, R bytes (24).
  std::vector<std::uint8_t> pixels;
};

/// A BITMAPINFOHEADER (40-byte) BMP; palette entry i is (B, G, R) = (3 i, 3 i + 1, 3 i + 2).
inline std::string bmp_file(const BmpSpec& s) {
  const std::int64_t rows = s.height < 0 ? -s.height : s.height;
  const std::int64_t row_bytes = (std::int64_t{s.width} * s.bpp + 7) / 8, stride = (row_bytes + 3) / 4 * 4;
  const std::uint32_t offset =
      s.offset >= 0 ? static_cast<std::uint32_t>(s.offset) : 54u + 4u * static_cast<std::uint32_t>(s.palette_entries);
  std::string f = "BM";
  put_le32(f, 0);  // file size: filled below
  put_le32(f, 0);
  put_le32(f, offset);
  put_le32(f, 40);
  put_le32(f, static_cast<std::uint32_t>(s.width));
  put_le32(f, static_cast<std::uint32_t>(s.height));
  put_le16(f, 1);
  put_le16(f, static_cast<std::uint32_t>(s.bpp));
  put_le32(f, 0);  // BI_RGB
  put_le32(f, static_cast<std::uint32_t>(stride * rows));
  put_le32(f, 2835);
  put_le32(f, 2835);
  put_le32(f, s.colours_used);
  put_le32(f, 0);
  for (int i = 0; i < s.palette_entries; ++i) {
    f += static_cast<char>(3 * i);
    f += static_cast<char>(3 * i + 1);
    f += static_cast<char>(3 * i + 2);
    f += '\0';
  }
  while (f.size() < offset) f += '\0';
  f.resize(offset);
  const int per_pixel = s.bpp == 24 ? 3 : 1;
  for (std::int64_t j = 0; j < rows; ++j) {
    const std::int64_t y = s.height < 0 ? j : rows - 1 - j;  // file order
    std::string row(static_cast<std::size_t>(stride), '\0');
    for (std::int64_t x = 0; x < s.width; ++x) {
      const std::size_t at = static_cast<std::size_t>((y * s.width + x) * per_pixel);
      if (s.bpp == 24) {
        for (int k = 0; k < 3; ++k) row[static_cast<std::size_t>(3 * x + k)] = static_cast<char>(s.pixels.at(at + k));
      } else {
        const std::uint8_t v = s.pixels.at(at);
        const std::int64_t bit = x * s.bpp;
        row[static_cast<std::size_t>(bit / 8)] |= static_cast<char>(v << (8 - s.bpp - bit % 8));
      }
    }
    f += row;
  }
  set_le32(f, 2, static_cast<std::uint32_t>(f.size()));
  return f;
}

// ---- JPEG

/// A grey JPEG of w x h (multiples of 8 keep it simple) whose blocks all
/// hold DC difference +1 and no AC coefficient, with one DC table (codes
/// 0 -> category 0, 1 -> category 1) and one AC table (0 -> end of block).
struct JpegSpec {
  int width = 16, height = 8;
  bool progressive = false;
  int restart_interval = 0;  ///< DRI; 0: none
  bool restart_markers = true;  ///< write the RSTn markers DRI asks for
  bool dc_scan = true, ac_scan = true;  ///< progressive: which scans (baseline: both or none)
};

class BitWriter {
 public:
  void bits(std::uint32_t v, int n) {
    for (int i = n - 1; i >= 0; --i) {
      acc_ = (acc_ << 1) | ((v >> i) & 1);
      if (++count_ == 8) flush_byte();
    }
  }
  // Pads the last byte with ones.
  void pad() {
    while (count_ != 0) bits(1, 1);
  }
  void marker(std::uint8_t m) {
    pad();
    out += '\xff';
    out += static_cast<char>(m);
  }
  std::string out;

 private:
  void flush_byte() {
    out += static_cast<char>(acc_);
    if (acc_ == 0xff) out += '\0';  // stuffing
    acc_ = 0;
    count_ = 0;
  }
  std::uint32_t acc_ = 0;
  int count_ = 0;
};

inline std::string jpeg_segment(std::uint8_t marker, const std::string& body) {
  std::string s = "\xff";
  s += static_cast<char>(marker);
  put_be16(s, static_cast<std::uint32_t>(body.size() + 2));
  return s + body;
}

inline std::string jpeg_file(const JpegSpec& s) {
  std::string f = "\xff\xd8";
  f += jpeg_segment(0xDB, std::string(1, '\0') + std::string(64, '\x01'));  // table 0, all ones
  std::string sof = "\x08";
  put_be16(sof, static_cast<std::uint32_t>(s.height));
  put_be16(sof, static_cast<std::uint32_t>(s.width));
  sof += std::string("\x01\x01\x11\x00", 4);  // 1 component: id 1, 1 x 1, table 0
  f += jpeg_segment(s.progressive ? 0xC2 : 0xC0, sof);
  std::string dc = std::string("\x00", 1) + std::string("\x02", 1) + std::string(15, '\0') + std::string("\x00\x01", 2);
  std::string ac = std::string("\x10", 1) + std::string("\x01", 1) + std::string(15, '\0') + std::string("\x00", 1);
  f += jpeg_segment(0xC4, dc);
  f += jpeg_segment(0xC4, ac);
  if (s.restart_interval) {
    std::string dri;
    put_be16(dri, static_cast<std::uint32_t>(s.restart_interval));
    f += jpeg_segment(0xDD, dri);
  }
  const int blocks = (s.width / 8) * (s.height / 8);
  auto scan = [&](unsigned ss, unsigned se, bool dc_part, bool ac_part) {
    std::string sos = std::string("\x01\x01\x00", 3);
    sos += static_cast<char>(ss);
    sos += static_cast<char>(se);
    sos += '\0';
    f += jpeg_segment(0xDA, sos);
    BitWriter w;
    int rst = 0;
    for (int b = 0; b < blocks; ++b) {
      if (s.restart_interval && b > 0 && b % s.restart_interval == 0) {
        if (s.restart_markers)
          w.marker(static_cast<std::uint8_t>(0xD0 + (rst++ & 7)));
        else
          w.pad();
      }
      if (dc_part) w.bits(0b11, 2);  // category 1, +1
      if (ac_part) w.bits(0, 1);     // end of block
    }
    w.pad();
    f += w.out;
  };
  if (!s.progressive) {
    if (s.dc_scan) scan(0, 63, true, true);
  } else {
    if (s.dc_scan) scan(0, 0, true, false);
    if (s.ac_scan) scan(1, 63, false, true);
  }
  f += "\xff\xd9";
  return f;
}

// ---- stb_image_write

/// A w x h image with `comp` channels and distinct pixel values, encoded in memory.
inline std::string encode(const std::string& format, int w, int h, int comp = 3) {
  std::vector<std::uint8_t> px(static_cast<std::size_t>(w * h * comp));
  for (std::size_t i = 0; i < px.size(); ++i) px[i] = static_cast<std::uint8_t>(37 * i + 11);
  std::string out;
  auto append = [](void* context, void* data, int size) {
    static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<std::size_t>(size));
  };
  int ok = 0;
  if (format == "png") ok = stbi_write_png_to_func(append, &out, w, h, comp, px.data(), w * comp);
  if (format == "bmp") ok = stbi_write_bmp_to_func(append, &out, w, h, comp, px.data());
  if (format == "tga") ok = stbi_write_tga_to_func(append, &out, w, h, comp, px.data());
  if (format == "jpg") ok = stbi_write_jpg_to_func(append, &out, w, h, comp, px.data(), 90);
  if (!ok) throw std::runtime_error("stb_image_write failed for " + format);
  return out;
}

// ---- decoding under a chosen heap and stack pattern

/// Fills the next 512 KiB of stack below the caller with `pattern`, where
/// the decoder's own frames (stb's palettes) will lie.
[[gnu::noinline]] inline void poison_stack(unsigned char pattern) {
  volatile unsigned char area[512 * 1024];
  for (std::size_t i = 0; i < sizeof area; ++i) area[i] = pattern;
}

/// Leaves glibc's free lists holding blocks filled with `pattern`: malloc
/// hands out cached blocks (tcache) as they were freed, which M_PERTURB
/// does not touch, so they are filled here first.
[[gnu::noinline]] inline void spray_heap(unsigned char pattern) {
  std::vector<void*> blocks;
  for (std::size_t size = 16; size <= 4096; size += 16)
    for (int k = 0; k < 8; ++k) blocks.push_back(std::malloc(size));
  for (std::size_t size = 8192; size <= (std::size_t{1} << 20); size *= 2)
    for (int k = 0; k < 2; ++k) blocks.push_back(std::malloc(size));
  for (void* b : blocks)
    if (b) std::memset(b, pattern, malloc_usable_size(b));
  for (auto it = blocks.rbegin(); it != blocks.rend(); ++it) std::free(*it);
}

/// What a decode gave: the error message, or the values.
struct Outcome {
  bool ok = false;
  std::string error;
  Shape shape;
  std::vector<float> values;
  bool operator==(const Outcome& o) const {
    return ok == o.ok && error == o.error && shape == o.shape && values == o.values;
  }
};

/// Runs `decode` (returning a float32 tensor) with glibc's malloc filling
/// new blocks with ~pattern (M_PERTURB), its cached free blocks holding
/// `pattern`, and the stack below filled with `pattern`.
template <typename F>
Outcome decode_with_pattern(F&& decode, unsigned char pattern) {
  Outcome o;
  mallopt(M_PERTURB, pattern);
  spray_heap(pattern);
  poison_stack(pattern);
  try {
    const Tensor t = decode();
    o.ok = true;
    o.shape = t.shape();
    o.values = t.contiguous().to_vector<float>();
  } catch (const Error& e) {
    o.error = e.what();
  }
  mallopt(M_PERTURB, 0);
  return o;
}

}  // namespace zengen::testing::images
