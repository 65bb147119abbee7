// PNG grids through stb_image_write (encoded in memory, then written by
// AtomicFile), and read_image through the shared, capped decoder
// (data/image_decode.hpp).
#include "zengen/io/image.hpp"

#include <stb_image_write.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "data/image_decode.hpp"
#include "io/atomic_file.hpp"
#include "io/png.hpp"

namespace zengen::io {

namespace detail {

void write_png(const std::string& path, const char* op, int width, int height, int channels,
               const std::uint8_t* pixels) {
  std::string encoded;
  auto append = [](void* context, void* data, int size) {
    static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<std::size_t>(size));
  };
  const int ok = stbi_write_png_to_func(append, &encoded, width, height, channels, pixels, width * channels);
  ZENGEN_CHECK(ok, IOError, op, ": cannot encode the PNG for '", path, "' (", width, " x ", height, " x ", channels,
               ")");
  AtomicFile file(path, op);
  file.write(encoded.data(), encoded.size());
  file.commit();
}

}  // namespace detail

namespace {

void check_images(const Tensor& images, const char* op, std::int64_t want_dims) {
  ZENGEN_CHECK(images.defined(), ValueError, op, ": undefined tensor");
  const char* layout = want_dims == 4 ? "[N, C, H, W]" : "[C, H, W]";
  ZENGEN_CHECK(images.dim() == want_dims, ShapeError, op, ": expected images ", layout,
               " with C 1 or 3, got shape ", images.shape());
  const std::int64_t c = images.size(want_dims - 3);
  ZENGEN_CHECK(c == 1 || c == 3, ShapeError, op, ": expected 1 or 3 channels in ", layout, ", got shape ",
               images.shape());
  for (std::int64_t d = 0; d < want_dims; ++d)
    ZENGEN_CHECK(images.size(d) > 0, ShapeError, op, ": empty images of shape ", images.shape());
  ZENGEN_CHECK(is_floating(images.dtype()), DTypeError, op, ": expected float32 or float64 images, got ",
               dtype_name(images.dtype()));
}

std::uint8_t to_byte(double v, ImageRange range) {
  if (std::isnan(v)) v = 0;
  const double t = range == ImageRange::MinusOneToOne ? (v + 1.0) * 0.5 : v;
  return static_cast<std::uint8_t>(std::lround(std::clamp(t, 0.0, 1.0) * 255.0));
}

}  // namespace

void save_image_grid(const Tensor& images, const std::string& path, ImageGridOptions options) {
  constexpr const char* op = "save_image_grid";
  check_images(images, op, 4);
  ZENGEN_CHECK(options.nrow > 0, ValueError, op, ": nrow must be positive, got ", options.nrow);
  ZENGEN_CHECK(options.padding >= 0, ValueError, op, ": padding must be >= 0, got ", options.padding);
  const std::int64_t n = images.size(0), c = images.size(1), h = images.size(2), w = images.size(3);
  const std::int64_t cols = std::min(options.nrow, n), rows = (n + cols - 1) / cols, pad = options.padding;
  const std::int64_t gw = cols * (w + pad) + pad, gh = rows * (h + pad) + pad;
  ZENGEN_CHECK(gw <= (1 << 20) && gh <= (1 << 20) && gw * gh * c <= (std::int64_t{1} << 31), ShapeError, op,
               ": a grid of ", gh, " x ", gw, " pixels from images of shape ", images.shape(), " is too large");

  const std::vector<double> v = images.detach().to(Device::cpu()).to(DType::Float64).contiguous().to_vector<double>();
  const auto pad_byte = static_cast<std::uint8_t>(std::lround(std::clamp(options.pad_value, 0.0, 1.0) * 255.0));
  std::vector<std::uint8_t> grid(static_cast<std::size_t>(gw * gh * c), pad_byte);
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t top = pad + (i / cols) * (h + pad), left = pad + (i % cols) * (w + pad);
    for (std::int64_t ch = 0; ch < c; ++ch)
      for (std::int64_t y = 0; y < h; ++y)
        for (std::int64_t x = 0; x < w; ++x)
          grid[static_cast<std::size_t>(((top + y) * gw + left + x) * c + ch)] =
              to_byte(v[static_cast<std::size_t>(((i * c + ch) * h + y) * w + x)], options.range);
  }
  detail::write_png(path, op, static_cast<int>(gw), static_cast<int>(gh), static_cast<int>(c), grid.data());
}

void save_image(const Tensor& image, const std::string& path, ImageRange range) {
  check_images(image, "save_image", 3);
  save_image_grid(image.unsqueeze(0), path, {.nrow = 1, .padding = 0, .range = range});
}

Tensor read_image(const std::string& path, std::int64_t max_pixels, std::int64_t max_file_bytes) {
  constexpr const char* op = "read_image";
  ZENGEN_CHECK(max_pixels > 0 && max_file_bytes > 0, ValueError, op,
               ": max_pixels and max_file_bytes must be positive, got ", max_pixels, " and ", max_file_bytes);
  data::decoder::ImageError err;
  data::decoder::DecodedImage decoded;
  bool ok;
  {  // the file's bytes are freed before the tensor is allocated
    std::vector<unsigned char> bytes;
    ok = data::decoder::read_image_file(path, max_file_bytes, bytes, err) &&
         data::decoder::decode_image(bytes.data(), bytes.size(), 0, max_pixels, decoded, err);
  }
  if (!ok) {
    const std::string msg = zengen::detail::concat(op, ": '", path, "': ", err.reason);
    if (err.io) throw IOError(msg);
    throw FormatError(msg);
  }
  const int w = decoded.width, h = decoded.height, c = decoded.channels;
  Tensor t = Tensor::empty({c, h, w}, {.dtype = DType::Float32});
  float* dst = t.data<float>();
  const unsigned char* src = decoded.pixels.get();
  const std::size_t plane = static_cast<std::size_t>(w) * static_cast<std::size_t>(h);
  for (std::size_t i = 0; i < plane; ++i)
    for (int ch = 0; ch < c; ++ch) dst[static_cast<std::size_t>(ch) * plane + i] = src[i * c + ch] / 255.0f;
  return t;
}

}  // namespace zengen::io
