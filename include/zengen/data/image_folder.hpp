// Image files as a dataset: every PNG, JPEG, BMP, TGA and GIF under a folder,
// decoded (stb_image), converted to RGB or grey, resized and centre-cropped
// to size x size, scaled to [-1, 1], and stacked into one float32 tensor
// [N, C, size, size]. Labels come from the first-level sub-folders.
//
//   auto emoji = zengen::data::ImageFolder("data/emoji", {.size = 32});
//   emoji.images();   // [3786, 3, 32, 32], values in [-1, 1]
//
// The building blocks (load_image, resize, center_crop) are public too.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "zengen/core/limits.hpp"
#include "zengen/core/tensor.hpp"
#include "zengen/data/datasets.hpp"  // Example

namespace zengen::data {

/// What to do with a file that cannot be read or decoded.
enum class OnError {
  Skip,   ///< leave it out, print a warning line on stderr, list it in skipped()
  Raise,  ///< throw (FormatError for a bad image, IOError for an unreadable file)
};

/// How ImageFolder decodes, resizes and scales images, and what it does with bad files.
struct ImageFolderOptions {
  std::int64_t size = 64;    ///< output height and width
  int channels = 3;          ///< 3 (RGB) or 1 (grey: stb_image's (77 R + 150 G + 29 B) / 256)
  OnError on_error = OnError::Skip;
  /// Refuse (before decoding) an image whose header declares more pixels.
  std::int64_t max_pixels = kDefaultMaxImagePixels;
  /// Refuse a file of more bytes (each file is read into memory whole).
  std::int64_t max_file_bytes = kDefaultMaxImageFileBytes;
  /// Transparent pixels are composited over this grey level (0..255), so
  /// what is under alpha 0 in the file never shows.
  int background = 255;
};

/// A file ImageFolder left out, and why.
struct SkippedFile {
  std::string path, reason;
};

/// Every image file under a folder, decoded, resized, cropped and scaled into one tensor, with labels from sub-folder names.
class ImageFolder {
 public:
  /// Finds (recursively, sorted by path) and decodes every image under
  /// `root`, in parallel. Throws IOError naming `root` when it does not
  /// exist, is not a folder, or holds no image files; ValueError for bad
  /// options; on a bad file, see OnError.
  explicit ImageFolder(const std::string& root, ImageFolderOptions options = {});

  std::int64_t size() const { return images_.defined() ? images_.size(0) : 0; }
  /// Example i (0 <= i < size()): a view into images().
  Example get(std::int64_t i) const;
  /// All images stacked: float32 [N, C, size, size] in [-1, 1].
  const Tensor& images() const { return images_; }
  /// int64 [N]: the index in classes() of each image's first-level sub-folder.
  const Tensor& labels() const { return labels_; }
  /// The first-level sub-folder names that hold images, sorted; "" stands
  /// for files directly in the root (and so comes first, as label 0).
  const std::vector<std::string>& classes() const { return classes_; }
  /// The path of each loaded image, in order.
  const std::vector<std::string>& paths() const { return paths_; }
  /// The files left out (OnError::Skip), with stb_image's reason.
  const std::vector<SkippedFile>& skipped() const { return skipped_; }
  const std::string& root() const { return root_; }

 private:
  std::string root_;
  ImageFolderOptions options_;
  Tensor images_, labels_;
  std::vector<std::string> classes_, paths_;
  std::vector<SkippedFile> skipped_;
};

/// Decodes one image file into float32 [channels, H, W] with values in
/// 0..255 (channels 1 or 3; alpha composited over `background`). Checks the
/// declared size (width * height <= max_pixels) before decoding, and reads
/// at most max_file_bytes. Throws IOError when the file cannot be read,
/// FormatError naming the file and the reason when it is not a decodable
/// PNG, JPEG, BMP, TGA or GIF, declares too many pixels, is too large, or
/// ends before its image data does (a truncated file is never padded).
Tensor load_image(const std::string& path, int channels = 3, std::int64_t max_pixels = kDefaultMaxImagePixels,
                  int background = 255, std::int64_t max_file_bytes = kDefaultMaxImageFileBytes);

/// Resamples float [C, H, W] to [C, height, width], each axis on its own:
/// area averaging where it shrinks (each output pixel is the mean of the
/// input area it covers, fractions weighted), bilinear (pixel centres,
/// edges clamped) where it grows, a copy where it keeps its size.
Tensor resize(const Tensor& image, std::int64_t height, std::int64_t width);

/// Resizes so that the short side is `size` (the long side keeps the aspect
/// ratio, rounded), then crops the centre size x size.
Tensor resize_center_crop(const Tensor& image, std::int64_t size);

}  // namespace zengen::data
