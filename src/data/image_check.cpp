// See image_check.hpp. Each format's reader follows what stb_image 2.27
// (Debian's libstb) reads, field by field, so that a file it accepts is one
// stb decodes into pixels it wrote; where the two could part (junk stb
// skips, a stream zlib and stb inflate differently) this reader is the
// stricter one and the file is refused with the reason.
// This file tells the format and calls its checks (image_check_<format>.cpp).
#include "data/image_check.hpp"

#include <cstring>

#include "data/image_check_formats.hpp"

namespace zengen::data::decoder {

using namespace detail;

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
