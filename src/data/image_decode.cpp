// See image_decode.hpp. stb_image's failure reason is thread-local in
// Debian's libstb, so files decode in parallel. Debian ships stb_image 2.27;
// image_check.hpp reads each file's structure before stb does: it names
// the faults, and it refuses the files for which stb would hand out memory
// it never wrote or would write past its tables (see docs/hardening.md).
#include "data/image_decode.hpp"

#include "data/image_check.hpp"

#include <stb_image.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "zengen/core/error.hpp"

namespace zengen::data::decoder {

namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

std::string stb_reason() {
  const char* r = stbi_failure_reason();
  return r ? r : "";
}

// The file as stb_image reads it through callbacks; `overran` records any
// attempt to read or skip past its end.
struct CallbackReader {
  const unsigned char* data;
  std::size_t size;
  std::size_t pos = 0;
  bool overran = false;

  static int read(void* user, char* dst, int n) {
    auto& r = *static_cast<CallbackReader*>(user);
    if (n <= 0) return 0;
    const std::size_t left = r.size - r.pos;
    if (left == 0) {
      r.overran = true;
      return 0;
    }
    const std::size_t k = std::min(left, static_cast<std::size_t>(n));
    std::memcpy(dst, r.data + r.pos, k);
    r.pos += k;
    return static_cast<int>(k);
  }
  static void skip(void* user, int n) {
    auto& r = *static_cast<CallbackReader*>(user);
    if (n < 0) {
      const auto back = static_cast<std::size_t>(-static_cast<long long>(n));
      r.pos = back > r.pos ? 0 : r.pos - back;
      return;
    }
    const std::size_t left = r.size - r.pos;
    if (static_cast<std::size_t>(n) > left) r.overran = true;
    r.pos += std::min(left, static_cast<std::size_t>(n));
  }
  static int eof(void* user) {
    const auto& r = *static_cast<CallbackReader*>(user);
    return r.pos >= r.size;
  }
};

bool starts_with(const unsigned char* data, std::size_t size, std::string_view magic) {
  return size >= magic.size() && std::memcmp(data, magic.data(), magic.size()) == 0;
}

// The name of a format stb_image would decode but zengen refuses, or null.
const char* refused_format(const unsigned char* data, std::size_t size) {
  if (starts_with(data, size, "8BPS")) return "PSD";
  if (starts_with(data, size, "S\x80\xf6\x34")) return "Softimage PIC";
  if (starts_with(data, size, "P5") || starts_with(data, size, "P6")) return "PNM";
  if (starts_with(data, size, "#?RADIANCE\n") || starts_with(data, size, "#?RGBE\n")) return "Radiance HDR";
  // Formats stb_image does not read either: named, rather than read as a
  // TGA header (TGA has no signature).
  if (size >= 12 && starts_with(data, size, "RIFF") && std::memcmp(data + 8, "WEBP", 4) == 0) return "WebP";
  if (starts_with(data, size, std::string_view("II*\0", 4)) || starts_with(data, size, std::string_view("MM\0*", 4)))
    return "TIFF";
  if (size >= 12 && std::memcmp(data + 4, "ftyp", 4) == 0) return "HEIF/AVIF (ISO media)";
  if (starts_with(data, size, "\xff\x0a") || starts_with(data, size, std::string_view("\0\0\0\x0cJXL ", 8)))
    return "JPEG XL";
  if (starts_with(data, size, std::string_view("\0\0\0\x0cjP  ", 8)) || starts_with(data, size, "\xff\x4f\xff\x51"))
    return "JPEG 2000";
  if (starts_with(data, size, "qoif")) return "QOI";
  if (starts_with(data, size, std::string_view("\0\0\1\0", 4))) return "ICO";
  if (starts_with(data, size, "\x1f\x8b")) return "gzip";
  return nullptr;
}

// stb_image's short failure reasons (Debian's libstb has no long ones),
// with what they mean.
std::string explain(const char* format, const std::string& reason) {
  static const std::pair<const char*, const char*> known[] = {
      {"bad huffman code", "corrupt compressed data: a Huffman code no table holds"},
      {"bad codelengths", "corrupt compressed data: bad Huffman code lengths"},
      {"bad code lengths", "corrupt Huffman table: bad code lengths"},
      {"bad sizes", "corrupt compressed data: bad Huffman code lengths"},
      {"bad dist", "corrupt compressed data: a distance reaching before the start"},
      {"bad zlib header", "the image data has a bad zlib header"},
      {"bad compression", "the image data is not deflate-compressed"},
      {"no preset dict", "the image data asks for a preset dictionary"},
      {"bad block type", "corrupt compressed data: a deflate block of an unknown type"},
      {"zlib corrupt", "corrupt compressed data"},
      {"read past buffer", "corrupt compressed data: a stored block runs past the data"},
      {"output buffer limit", "the compressed data inflates to more than the image needs"},
      {"unexpected end", "the compressed data ends early"},
      {"not enough pixels", "the image data holds fewer pixels than the header declares"},
      {"invalid filter", "a row of the image data has an unknown filter type"},
      {"outofdata", "the file ends inside a chunk"},
      {"expected marker", "corrupt data where a marker should be"},
      {"unknown marker", "a marker it does not read"},
      {"can't merge dc and ac", "a progressive scan mixes DC and AC coefficients"},
      {"illegal code in raster", "corrupt LZW data: a code not yet defined"},
      {"no clear code", "corrupt LZW data: no clear code first"},
      {"too many codes", "corrupt LZW data: more than 4096 codes"},
      {"outofmem", "out of memory"},
  };
  for (const auto& [short_reason, meaning] : known)
    if (reason == short_reason) return zengen::detail::concat(format, ": cannot decode: ", meaning, " (stb_image: '", reason, "')");
  if (reason.empty()) return zengen::detail::concat(format, ": cannot decode (stb_image gives no reason)");
  return zengen::detail::concat(format, ": cannot decode (stb_image: '", reason, "')");
}

}  // namespace

bool read_image_file(const std::string& path, std::int64_t max_file_bytes, std::vector<unsigned char>& bytes,
                     ImageError& err) {
  errno = 0;
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    err = {true, std::string("cannot open: ") + std::strerror(errno)};
    return false;
  }
  // A regular file's size is known: refuse it at once when over the cap,
  // and reserve it, so that the buffer is not copied while it grows.
  bytes.clear();
  struct stat st {};
  if (::fstat(::fileno(file.get()), &st) == 0 && S_ISREG(st.st_mode)) {
    if (st.st_size > max_file_bytes) {
      err = {false, zengen::detail::concat("the file holds ", st.st_size, " bytes, more than max_file_bytes = ",
                                           max_file_bytes)};
      return false;
    }
    bytes.reserve(static_cast<std::size_t>(st.st_size) + 1);
  }
  // Read in blocks up to the cap (the file may be a pipe or change size).
  constexpr std::size_t kBlock = std::size_t{1} << 16;
  const auto cap = static_cast<std::uint64_t>(max_file_bytes);
  for (;;) {
    const std::size_t old = bytes.size();
    bytes.resize(old + kBlock);
    const std::size_t got = std::fread(bytes.data() + old, 1, kBlock, file.get());
    bytes.resize(old + got);
    if (bytes.size() > cap) {
      err = {false, zengen::detail::concat("the file holds more than max_file_bytes = ", max_file_bytes, " bytes")};
      return false;
    }
    if (got < kBlock) break;
  }
  if (std::ferror(file.get())) {
    err = {true, std::string("cannot read: ") + std::strerror(errno)};
    return false;
  }
  return true;
}

bool decode_image(const unsigned char* data, std::size_t size, int channels, std::int64_t max_pixels,
                  DecodedImage& out, ImageError& err) {
  if (size == 0) {
    err = {false, "the file is empty"};
    return false;
  }
  if (size > static_cast<std::size_t>(INT_MAX)) {  // stb_image takes an int length
    err = {false, zengen::detail::concat("the file holds ", size, " bytes, more than stb_image reads (", INT_MAX, ")")};
    return false;
  }
  if (const char* format = refused_format(data, size)) {
    err = {false, zengen::detail::concat("a ", format, " file: zengen reads PNG, JPEG, BMP, TGA and GIF only")};
    return false;
  }
  // zengen's reading of the header (image_check.hpp): the format, each
  // field stb relies on, and the declared size, before anything is allocated.
  Header header;
  std::string why;
  if (!read_header(data, size, header, why)) {
    err = {false, why};
    return false;
  }
  const char* format = format_name(header.format);
  const std::int64_t w = header.width, h = header.height, pixels = w * h;
  if (pixels > max_pixels) {
    err = {false, zengen::detail::concat(format, ": its header declares ", w, " x ", h, " = ", pixels,
                                         " pixels, more than max_pixels = ", max_pixels)};
    return false;
  }
  // Then what needs more than the header: stb's size limits, the
  // structure, palette indices, JPEG tables and scans.
  if (!check_body(data, size, header, why)) {
    err = {false, why};
    return false;
  }
  // stb_image reads the same header (a top-down BMP's height is negative there).
  int iw = 0, ih = 0, icomp = 0;
  if (!stbi_info_from_memory(data, static_cast<int>(size), &iw, &ih, &icomp)) {
    err = {false, zengen::detail::concat(format, ": stb_image cannot read the header (stb_image: '", stb_reason(), "')")};
    return false;
  }
  if (iw != w || std::abs(static_cast<std::int64_t>(ih)) != h) {
    err = {false, zengen::detail::concat(format, ": the header declares ", w, " x ", h, " pixels, stb_image reads ",
                                         iw, " x ", ih)};
    return false;
  }

  CallbackReader reader{data, size};
  const stbi_io_callbacks callbacks{&CallbackReader::read, &CallbackReader::skip, &CallbackReader::eof};
  int dw = 0, dh = 0, dc = 0;
  DecodedImage decoded;
  decoded.pixels = {stbi_load_from_callbacks(&callbacks, &reader, &dw, &dh, &dc, channels), &stbi_image_free};
  if (reader.overran) {
    err = {false, zengen::detail::concat(format, ": truncated: the ", w, " x ", h,
                                         " image data ends before the image does (the decoder read past the end of "
                                         "the ", size, "-byte file)")};
    return false;
  }
  if (!decoded.pixels) {
    err = {false, explain(format, stb_reason())};
    return false;
  }
  if (dw != w || dh != h) {  // the header said one size, the decoder another
    err = {false, zengen::detail::concat(format, ": the header declares ", w, " x ", h, " pixels, but it decodes as ",
                                         dw, " x ", dh)};
    return false;
  }
  decoded.width = dw;
  decoded.height = dh;
  decoded.channels = channels == 0 ? dc : channels;
  out = std::move(decoded);
  return true;
}

}  // namespace zengen::data::decoder
