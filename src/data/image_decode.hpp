// The one image decoder behind data::load_image, data::ImageFolder and
// io::read_image: reads a whole file (capped), checks the header's declared
// size before decoding, decodes with stb_image and refuses a truncated file.
//
// Why not stbi_load_from_file: stb_image pads a file that ends early with
// zero bytes (BMP, TGA, JPEG, GIF data) and returns an image anyway. Here stb
// reads through callbacks that note any read past the end of the file; such
// a decode is an error, never an image filled with garbage. Formats stb knows
// but zengen does not offer (PSD, PIC, PNM, HDR) are refused by their
// signature, which keeps their decoders out of reach of hostile files.
// Before stb, image_check.hpp reads the file's structure itself: the header
// fields (named in the error), and the cases where stb_image 2.27 would
// return pixels it never wrote (palette indices past the palette, JPEG
// tables or scans that are missing), which are refused.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace zengen::data::decoder {

/// A failure to read (io) or decode (format) one file; `reason` does not
/// name the file (callers prefix it).
struct ImageError {
  bool io = false;
  std::string reason;
};

/// Decoded 8-bit interleaved pixels: height rows of width * channels bytes.
struct DecodedImage {
  int width = 0, height = 0, channels = 0;
  std::unique_ptr<unsigned char, void (*)(void*)> pixels{nullptr, nullptr};
};

/// Reads the file at `path` whole; fails (io) when it cannot be read and
/// (format) when it holds more than max_file_bytes.
bool read_image_file(const std::string& path, std::int64_t max_file_bytes, std::vector<unsigned char>& bytes,
                     ImageError& err);

/// Decodes `size` bytes of PNG, JPEG, BMP, TGA or GIF (the first frame).
/// `channels` 0 keeps the file's channel count, 1..4 converts as stb_image
/// does. Fails (format) for an unknown or refused format, a header field
/// out of range, a declared size over max_pixels, a file whose pixels stb
/// would not all write (image_check.hpp), a decoding error, or data that
/// ends early. Every reason starts with the format ("PNG: ...").
bool decode_image(const unsigned char* data, std::size_t size, int channels, std::int64_t max_pixels,
                  DecodedImage& out, ImageError& err);

}  // namespace zengen::data::decoder
