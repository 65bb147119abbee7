// The helpers and per-format entry points of the image checks
// (image_check.hpp), one file per format: image_check_png.cpp,
// image_check_jpeg.cpp, image_check_bmp.cpp, image_check_gif.cpp,
// image_check_tga.cpp; image_check.cpp tells the format and calls them.
// Private to src/data/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "data/image_check.hpp"
#include "zengen/core/error.hpp"

namespace zengen::data::decoder::detail {

// STBI_MAX_DIMENSIONS of stb_image 2.27: it refuses a wider or taller image.
constexpr std::int64_t kStbMaxSide = std::int64_t{1} << 24;

template <typename... Args>
bool fail(std::string& why, Args&&... args) {
  why = zengen::detail::concat(std::forward<Args>(args)...);
  return false;
}

inline std::uint32_t be16(const unsigned char* p) { return (std::uint32_t{p[0]} << 8) | p[1]; }
inline std::uint32_t be32(const unsigned char* p) { return (be16(p) << 16) | be16(p + 2); }
inline std::uint32_t le16(const unsigned char* p) { return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8); }
inline std::uint32_t le32(const unsigned char* p) { return le16(p) | (le16(p + 2) << 16); }

inline std::string hex_bytes(const unsigned char* p, std::size_t n) {
  static const char* digits = "0123456789ABCDEF";
  std::string s;
  for (std::size_t i = 0; i < n; ++i) {
    if (i) s += ' ';
    s += digits[p[i] >> 4];
    s += digits[p[i] & 15];
  }
  return s;
}

inline std::string hex(std::uint32_t v, int digits) {
  static const char* d = "0123456789ABCDEF";
  std::string s = "0x";
  for (int i = digits - 1; i >= 0; --i) s += d[(v >> (4 * i)) & 15];
  return s;
}

// A PNG chunk type as text when it is four letters, else as bytes.
inline std::string chunk_name(const unsigned char* p) {
  for (int i = 0; i < 4; ++i)
    if (!((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= 'a' && p[i] <= 'z'))) return hex_bytes(p, 4);
  std::string name(1, '\'');
  name.append(reinterpret_cast<const char*>(p), 4);
  name += '\'';
  return name;
}

inline bool truncated_header(std::string& why, const char* what, std::size_t size) {
  return fail(why, "truncated: the file ends inside the ", what, " (the file holds ", size, " bytes)");
}

// ---- each format: read_header's part and check_body's part

struct PngHeader {
  std::uint32_t width = 0, height = 0;
  int depth = 0, colour = 0, interlace = 0;
  bool apple = false;     // a CgBI chunk first: raw deflate, no zlib header
  std::size_t after = 0;  // the first byte after the IHDR chunk
};
bool png_header(const unsigned char* d, std::size_t n, PngHeader& h, std::string& why);
bool png_body(const unsigned char* d, std::size_t n, std::string& why);

bool is_jpeg(const unsigned char* d, std::size_t n);
bool jpeg_header(const unsigned char* d, std::size_t n, Header& h, std::string& why);
bool jpeg_body(const unsigned char* d, std::size_t n, const Header& h, std::string& why);

struct BmpHeader {
  std::uint32_t offset = 0, header_size = 0, compression = 0, colours_used = 0;
  std::int64_t width = 0, height = 0;
  int bpp = 0;
};
bool bmp_header(const unsigned char* d, std::size_t n, BmpHeader& b, std::string& why);
bool bmp_body(const unsigned char* d, std::size_t n, std::string& why);

bool gif_header(const unsigned char* d, std::size_t n, Header& h, std::string& why);
bool gif_body(const unsigned char* d, std::size_t n, const Header& h, std::string& why);

bool tga_header(const unsigned char* d, std::size_t n, Header& h, std::string& why);
bool tga_body(const Header& h, std::string& why);

}  // namespace zengen::data::decoder::detail
