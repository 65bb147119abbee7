// Image files out (and back in, for checks): PNG grids of samples, written
// with stb_image_write, atomically (temporary file + rename).
//
//   zengen::io::save_image_grid(gan.sample(64), "samples.png");          // 8 x 8, values in [-1, 1]
//   zengen::io::save_image_grid(vae_out, "recon.png", {.nrow = 16, .range = zengen::io::ImageRange::ZeroToOne});
#pragma once

#include <cstdint>
#include <string>

#include "zengen/core/limits.hpp"
#include "zengen/core/tensor.hpp"

namespace zengen::io {

/// The value range that maps to black .. white; values outside are clamped.
enum class ImageRange {
  MinusOneToOne,  ///< -1 -> 0, 1 -> 255 (tanh outputs, ImageFolder data)
  ZeroToOne,      ///< 0 -> 0, 1 -> 255
};

/// Layout and value range of a PNG image grid.
struct ImageGridOptions {
  std::int64_t nrow = 8;     ///< images per grid row
  std::int64_t padding = 2;  ///< pixels between images and around the grid
  ImageRange range = ImageRange::MinusOneToOne;
  double pad_value = 0;      ///< grey level of the padding, 0 (black) .. 1 (white)
};

/// Writes images [N, C, H, W] (C 1: grey PNG, or 3: RGB PNG; any floating
/// dtype) as one PNG: min(nrow, N) images across, ceil(N / nrow) rows, each
/// image at (padding + col * (W + padding), padding + row * (H + padding)).
/// ShapeError naming the shape for anything else; IOError naming the path
/// when it cannot be written (an existing file is then left unchanged).
void save_image_grid(const Tensor& images, const std::string& path, ImageGridOptions options = {});

/// Writes one image [C, H, W] (C 1 or 3) as a PNG, like save_image_grid.
void save_image(const Tensor& image, const std::string& path, ImageRange range = ImageRange::MinusOneToOne);

/// Reads a PNG, JPEG, BMP, TGA or GIF (first frame) as float32 [C, H, W] in
/// [0, 1], C being the file's channel count (1 to 4). IOError when it cannot
/// be opened; FormatError naming the file and the reason when it cannot be
/// decoded, its header declares more than max_pixels, it holds more than
/// max_file_bytes, or it ends before its image data does.
Tensor read_image(const std::string& path, std::int64_t max_pixels = kDefaultMaxImagePixels,
                  std::int64_t max_file_bytes = kDefaultMaxImageFileBytes);

}  // namespace zengen::io
