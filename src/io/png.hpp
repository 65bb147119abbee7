// Encodes 8-bit pixels as a PNG (stb_image_write) and writes the file
// atomically (AtomicFile). Shared by image grids and plots.
#pragma once

#include <cstdint>
#include <string>

namespace zengen::io::detail {

/// Interleaved rows of width * channels bytes (channels 1 to 4). IOError
/// naming `path` when it cannot be encoded or written.
void write_png(const std::string& path, const char* op, int width, int height, int channels,
               const std::uint8_t* pixels);

}  // namespace zengen::io::detail
