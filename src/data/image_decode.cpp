// See image_decode.hpp. stb_image's failure reason is thread-local in
// Debian's libstb, so files decode in parallel. Debian ships stb_image 2.27;
// the checks before decoding also guard against its decoder bugs that
// fuzzing found (see docs/hardening.md).
#include "data/image_decode.hpp"

#include <stb_image.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
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
  // Empty for a chunk type of zero bytes, as a PNG cut inside a chunk header reads.
  return r && *r ? r : "no reason given: truncated or corrupt data";
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
  return nullptr;
}

std::uint32_t be16(const unsigned char* p) { return (std::uint32_t{p[0]} << 8) | p[1]; }

// Guards against a bug of stb_image 2.27 (Debian's libstb; fixed upstream in
// 2.28): a JPEG Huffman table (DHT) whose 16 code counts add up to more than
// 256 makes stb write past its 257-entry tables, inside its decoder state.
// This walks the JPEG's segments the way stb does (by their lengths; after a
// scan, to the first marker, skipping stuffed FF 00 and restart markers) and
// returns the first such count, or 0. Where the walk meets something stb
// itself rejects, it stops and lets stb report it.
int oversized_jpeg_huffman_table(const unsigned char* data, std::size_t size) {
  if (size < 4 || data[0] != 0xFF || data[1] != 0xD8) return 0;
  std::size_t pos = 2;
  while (pos < size) {
    // The next marker: FF (fill FFs) then its code; stb skips junk before it.
    while (pos < size && data[pos] != 0xFF) ++pos;
    while (pos < size && data[pos] == 0xFF) ++pos;
    if (pos >= size) return 0;
    const unsigned char marker = data[pos++];
    if (marker == 0xD9 || marker == 0xD8 || marker == 0x00) return 0;  // the end, or stb stops there
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;  // no length field
    if (pos + 2 > size) return 0;
    const std::uint32_t length = be16(data + pos);
    if (length < 2) return 0;
    if (marker == 0xC4) {  // DHT: tables until the length is used up, as stb reads them
      std::int64_t left = static_cast<std::int64_t>(length) - 2;
      std::size_t p = pos + 2;
      while (left > 0) {
        // stb reads zeros past the end of the file, and writes its tables
        // before anything notices: count what it would see.
        if (p < size && ((data[p] >> 4) > 1 || (data[p] & 15) > 3)) return 0;  // stb: "bad DHT header"
        int codes = 0;
        for (std::size_t i = p + 1; i <= p + 16 && i < size; ++i) codes += data[i];
        if (codes > 256) return codes;
        if (p + 17 > size) return 0;  // cut inside the table: the truncation check reports it
        p += 17 + static_cast<std::size_t>(codes);
        left -= 17 + codes;
      }
      if (left != 0) return 0;  // stb: a DHT of the wrong length is an error
      pos = p;
      continue;
    }
    pos += length;
    if (marker == 0xDA) {  // SOS: entropy-coded data up to the next marker
      while (pos + 1 < size) {
        if (data[pos] != 0xFF) {
          ++pos;
          continue;
        }
        std::size_t q = pos + 1;
        while (q < size && data[q] == 0xFF) ++q;  // fill bytes
        if (q >= size) return 0;
        if (data[q] == 0x00 || (data[q] >= 0xD0 && data[q] <= 0xD7)) {  // stuffed FF, restart marker
          pos = q + 1;
          continue;
        }
        break;  // a marker: the loop above reads it
      }
    }
  }
  return 0;
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
  // Read in blocks up to the cap (the file may be a pipe or change size).
  bytes.clear();
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
  if (const int codes = oversized_jpeg_huffman_table(data, size)) {
    err = {false, zengen::detail::concat("corrupt JPEG: a Huffman table declares ", codes,
                                         " codes, more than the 256 a table holds")};
    return false;
  }
  // The declared size, from the header alone, before anything is allocated.
  int w = 0, h = 0, comp = 0;
  if (!stbi_info_from_memory(data, static_cast<int>(size), &w, &h, &comp)) {
    err = {false, "not a decodable image (stb_image: " + stb_reason() + ")"};
    return false;
  }
  const std::int64_t pixels = std::int64_t{w} * h;
  if (w <= 0 || h <= 0 || pixels > max_pixels) {
    err = {false, zengen::detail::concat("its header declares ", w, " x ", h, " = ", pixels,
                                         " pixels, more than max_pixels = ", max_pixels)};
    return false;
  }

  CallbackReader reader{data, size};
  const stbi_io_callbacks callbacks{&CallbackReader::read, &CallbackReader::skip, &CallbackReader::eof};
  int dw = 0, dh = 0, dc = 0;
  DecodedImage decoded;
  decoded.pixels = {stbi_load_from_callbacks(&callbacks, &reader, &dw, &dh, &dc, channels), &stbi_image_free};
  if (reader.overran) {
    err = {false, zengen::detail::concat("truncated: the ", w, " x ", h, " image data ends before the image does (the "
                                         "decoder read past the end of the ", size, "-byte file)")};
    return false;
  }
  if (!decoded.pixels) {
    err = {false, "cannot decode (stb_image: " + stb_reason() + ")"};
    return false;
  }
  if (dw != w || dh != h) {  // the header said one size, the decoder another
    err = {false, zengen::detail::concat("its header declares ", w, " x ", h, " pixels, but it decodes as ", dw,
                                         " x ", dh)};
    return false;
  }
  decoded.width = dw;
  decoded.height = dh;
  decoded.channels = channels == 0 ? dc : channels;
  out = std::move(decoded);
  return true;
}

}  // namespace zengen::data::decoder
