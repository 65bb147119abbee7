// ImageFolder and its building blocks. Decoding is data/image_decode.hpp
// (stb_image, with the size caps and the truncation check); resampling and cropping work on plain float buffers so that the
// OpenMP loop touches no shared state.
#include "zengen/data/image_folder.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string_view>

#include "data/image_decode.hpp"

namespace zengen::data {

namespace {

namespace fs = std::filesystem;

struct ImageLimits {
  std::int64_t max_pixels, max_file_bytes;
};

// A planar float image: c planes of h x w.
struct Image {
  std::int64_t c = 0, h = 0, w = 0;
  std::vector<float> px;
};

using FileError = decoder::ImageError;

// Reads and decodes `path`, then composites it into `channels` planes of
// 0..255 floats at alloc(h, w) (c * h * w floats); false and `err` on
// failure. The file's bytes are freed before the planes are allocated, so
// the peak is the larger of stb's own (file, inflated data, pixels) and the
// decoded pixels plus the planes.
template <typename Alloc>
bool decode_into(const std::string& path, int channels, const ImageLimits& limits, int background, Alloc&& alloc,
                 FileError& err) {
  decoder::DecodedImage decoded;
  // Decode with alpha (grey+alpha or RGBA), then composite over the background.
  const int req = channels == 1 ? 2 : 4;
  {
    std::vector<unsigned char> bytes;
    if (!decoder::read_image_file(path, limits.max_file_bytes, bytes, err)) return false;
    if (!decoder::decode_image(bytes.data(), bytes.size(), req, limits.max_pixels, decoded, err)) return false;
  }
  const std::int64_t w = decoded.width, h = decoded.height;
  const auto plane = static_cast<std::size_t>(w) * static_cast<std::size_t>(h);
  float* dst = alloc(h, w);
  const unsigned char* p = decoded.pixels.get();
  const float bg = static_cast<float>(background);
  for (std::size_t i = 0; i < plane; ++i) {
    const unsigned char* q = p + i * static_cast<std::size_t>(req);
    const float a = q[req - 1] / 255.0f;
    for (int ch = 0; ch < channels; ++ch) dst[static_cast<std::size_t>(ch) * plane + i] = q[ch] * a + bg * (1.0f - a);
  }
  return true;
}

bool decode(const std::string& path, int channels, const ImageLimits& limits, int background, Image& out,
            FileError& err) {
  return decode_into(
      path, channels, limits, background,
      [&](std::int64_t h, std::int64_t w) {
        out.c = channels;
        out.h = h;
        out.w = w;
        out.px.resize(static_cast<std::size_t>(h * w * channels));
        return out.px.data();
      },
      err);
}

// The input taps of each output position along one axis.
struct Taps {
  std::vector<std::int64_t> start;  // first input index per output
  std::vector<std::vector<double>> weights;
};

Taps axis_taps(std::int64_t in, std::int64_t out) {
  Taps t;
  t.start.resize(static_cast<std::size_t>(out));
  t.weights.resize(static_cast<std::size_t>(out));
  const double scale = static_cast<double>(in) / static_cast<double>(out);
  for (std::int64_t j = 0; j < out; ++j) {
    auto& w = t.weights[static_cast<std::size_t>(j)];
    if (out == in) {
      t.start[static_cast<std::size_t>(j)] = j;
      w = {1.0};
    } else if (out < in) {  // area: input interval [a, b) covers output j
      const double a = j * scale, b = (j + 1) * scale;
      const auto first = static_cast<std::int64_t>(std::floor(a));
      const auto last = std::min(in - 1, static_cast<std::int64_t>(std::ceil(b)) - 1);
      t.start[static_cast<std::size_t>(j)] = first;
      for (std::int64_t i = first; i <= last; ++i)
        w.push_back((std::min(b, static_cast<double>(i + 1)) - std::max(a, static_cast<double>(i))) / scale);
    } else {  // bilinear between pixel centres, clamped at the edges
      double src = (j + 0.5) * scale - 0.5;
      src = std::clamp(src, 0.0, static_cast<double>(in - 1));
      const auto i0 = static_cast<std::int64_t>(std::floor(src));
      const double f = src - static_cast<double>(i0);
      t.start[static_cast<std::size_t>(j)] = i0;
      w = i0 + 1 < in ? std::vector<double>{1.0 - f, f} : std::vector<double>{1.0};
    }
  }
  return t;
}

Image resize_image(const Image& in, std::int64_t oh, std::int64_t ow) {
  if (oh == in.h && ow == in.w) return in;
  const Taps tx = axis_taps(in.w, ow), ty = axis_taps(in.h, oh);
  // Horizontal pass: [c, h, w] -> [c, h, ow]; then vertical: -> [c, oh, ow].
  std::vector<float> mid(static_cast<std::size_t>(in.c * in.h * ow));
  for (std::int64_t r = 0; r < in.c * in.h; ++r) {
    const float* src = in.px.data() + r * in.w;
    float* dst = mid.data() + r * ow;
    for (std::int64_t x = 0; x < ow; ++x) {
      const auto& w = tx.weights[static_cast<std::size_t>(x)];
      const float* s = src + tx.start[static_cast<std::size_t>(x)];
      double acc = 0;
      for (std::size_t k = 0; k < w.size(); ++k) acc += w[k] * s[k];
      dst[x] = static_cast<float>(acc);
    }
  }
  Image out{in.c, oh, ow, std::vector<float>(static_cast<std::size_t>(in.c * oh * ow))};
  for (std::int64_t c = 0; c < in.c; ++c)
    for (std::int64_t y = 0; y < oh; ++y) {
      const auto& w = ty.weights[static_cast<std::size_t>(y)];
      const float* s = mid.data() + (c * in.h + ty.start[static_cast<std::size_t>(y)]) * ow;
      float* dst = out.px.data() + (c * oh + y) * ow;
      for (std::int64_t x = 0; x < ow; ++x) {
        double acc = 0;
        for (std::size_t k = 0; k < w.size(); ++k) acc += w[k] * s[static_cast<std::int64_t>(k) * ow + x];
        dst[x] = static_cast<float>(acc);
      }
    }
  return out;
}

// Short side to `size`, then the centre size x size.
Image resize_crop_image(const Image& in, std::int64_t size) {
  std::int64_t nh = size, nw = size;
  if (in.h < in.w)
    nw = std::max<std::int64_t>(size, std::llround(static_cast<double>(in.w) * size / in.h));
  else if (in.w < in.h)
    nh = std::max<std::int64_t>(size, std::llround(static_cast<double>(in.h) * size / in.w));
  const Image r = resize_image(in, nh, nw);
  if (nh == size && nw == size) return r;
  const std::int64_t top = (nh - size) / 2, left = (nw - size) / 2;
  Image out{in.c, size, size, std::vector<float>(static_cast<std::size_t>(in.c * size * size))};
  for (std::int64_t c = 0; c < in.c; ++c)
    for (std::int64_t y = 0; y < size; ++y)
      std::copy_n(r.px.data() + (c * nh + top + y) * nw + left, size, out.px.data() + (c * size + y) * size);
  return out;
}

Image from_tensor(const Tensor& t, const char* op) {
  ZENGEN_CHECK(t.dim() == 3, ShapeError, op, ": expected an image [C, H, W], got shape ", t.shape());
  ZENGEN_CHECK(t.size(1) > 0 && t.size(2) > 0, ShapeError, op, ": empty image of shape ", t.shape());
  Image img{t.size(0), t.size(1), t.size(2), t.detach().to(DType::Float32).to_vector<float>()};
  return img;
}

Tensor to_tensor(const Image& img) {
  Tensor t = Tensor::empty({img.c, img.h, img.w}, {.dtype = DType::Float32});
  std::copy(img.px.begin(), img.px.end(), t.data<float>());
  return t;
}

bool is_image_file(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp" || ext == ".tga" || ext == ".gif";
}

void check_limits(const ImageLimits& limits, const char* op) {
  ZENGEN_CHECK(limits.max_pixels > 0, ValueError, op, ": max_pixels must be positive, got ", limits.max_pixels);
  ZENGEN_CHECK(limits.max_file_bytes > 0, ValueError, op, ": max_file_bytes must be positive, got ",
               limits.max_file_bytes);
}

void check_channels(int channels, const char* op) {
  ZENGEN_CHECK(channels == 1 || channels == 3, ValueError, op, ": channels must be 1 (grey) or 3 (RGB), got ",
               channels);
}

}  // namespace

Tensor load_image(const std::string& path, int channels, std::int64_t max_pixels, int background,
                  std::int64_t max_file_bytes) {
  check_channels(channels, "load_image");
  check_limits({max_pixels, max_file_bytes}, "load_image");
  // Straight into the tensor: the peak is the decoded pixels plus the tensor.
  Tensor t;
  FileError err;
  const bool ok = decode_into(
      path, channels, {max_pixels, max_file_bytes}, background,
      [&](std::int64_t h, std::int64_t w) {
        t = Tensor::empty({channels, h, w}, {.dtype = DType::Float32});
        return t.data<float>();
      },
      err);
  if (!ok) {
    const std::string msg = detail::concat("load_image: '", path, "': ", err.reason);
    if (err.io) throw IOError(msg);
    throw FormatError(msg);
  }
  return t;
}

Tensor resize(const Tensor& image, std::int64_t height, std::int64_t width) {
  ZENGEN_CHECK(height > 0 && width > 0, ValueError, "resize: output size must be positive, got ", height, " x ",
               width);
  return to_tensor(resize_image(from_tensor(image, "resize"), height, width));
}

Tensor resize_center_crop(const Tensor& image, std::int64_t size) {
  ZENGEN_CHECK(size > 0, ValueError, "resize_center_crop: size must be positive, got ", size);
  return to_tensor(resize_crop_image(from_tensor(image, "resize_center_crop"), size));
}

ImageFolder::ImageFolder(const std::string& root, ImageFolderOptions options) : root_(root), options_(options) {
  constexpr const char* op = "ImageFolder";
  check_channels(options.channels, op);
  ZENGEN_CHECK(options.size > 0, ValueError, op, ": size must be positive, got ", options.size);
  check_limits({options.max_pixels, options.max_file_bytes}, op);
  ZENGEN_CHECK(options.background >= 0 && options.background <= 255, ValueError, op,
               ": background must be a grey level in 0..255, got ", options.background);

  std::error_code ec;
  const fs::path base(root);
  ZENGEN_CHECK(fs::exists(base, ec), IOError, op, ": folder '", root, "' does not exist");
  ZENGEN_CHECK(fs::is_directory(base, ec), IOError, op, ": '", root, "' is not a folder");

  // Every image file, sorted by path; its class is its first-level folder.
  std::vector<std::pair<std::string, std::string>> files;  // (path, class name)
  fs::recursive_directory_iterator it(base, fs::directory_options::skip_permission_denied, ec), end;
  ZENGEN_CHECK(!ec, IOError, op, ": cannot list '", root, "': ", ec.message());
  for (; it != end; it.increment(ec)) {
    ZENGEN_CHECK(!ec, IOError, op, ": cannot list '", root, "': ", ec.message());
    std::error_code fec;
    if (!it->is_regular_file(fec) || !is_image_file(it->path())) continue;
    const fs::path rel = it->path().lexically_relative(base);
    const std::string cls = std::distance(rel.begin(), rel.end()) > 1 ? rel.begin()->string() : std::string();
    files.emplace_back(it->path().string(), cls);
  }
  ZENGEN_CHECK(!files.empty(), IOError, op, ": no image files (.png, .jpg, .jpeg, .bmp, .tga, .gif) under '", root,
               "'");
  std::sort(files.begin(), files.end());
  std::set<std::string> class_set;
  for (const auto& f : files) class_set.insert(f.second);
  classes_.assign(class_set.begin(), class_set.end());
  std::map<std::string, std::int64_t> class_index;
  for (std::size_t i = 0; i < classes_.size(); ++i) class_index[classes_[i]] = static_cast<std::int64_t>(i);

  // Decode in parallel straight into the stacked tensor; compact afterwards
  // if some files failed.
  const auto n = static_cast<std::int64_t>(files.size());
  const std::int64_t s = options.size, c = options.channels, per = c * s * s;
  Tensor all = Tensor::empty({n, c, s, s}, {.dtype = DType::Float32});
  float* dst = all.data<float>();
  std::vector<FileError> errors(files.size());
  std::vector<char> ok(files.size(), 0);
#pragma omp parallel for schedule(dynamic, 8)
  for (std::int64_t i = 0; i < n; ++i) {
    const auto k = static_cast<std::size_t>(i);
    try {
      Image img;
      if (!decode(files[k].first, options.channels, {options.max_pixels, options.max_file_bytes}, options.background,
                  img, errors[k]))
        continue;
      const Image out = resize_crop_image(img, s);
      float* d = dst + i * per;
      for (std::int64_t j = 0; j < per; ++j) d[j] = out.px[static_cast<std::size_t>(j)] / 127.5f - 1.0f;
      ok[k] = 1;
    } catch (const std::exception& e) {  // e.g. bad_alloc: never let it cross the OpenMP region
      errors[k] = {false, e.what()};
    }
  }

  std::vector<std::int64_t> labels;
  std::int64_t kept = 0;
  for (std::size_t k = 0; k < files.size(); ++k) {
    if (!ok[k]) {
      const std::string msg = detail::concat(op, ": '", files[k].first, "': ", errors[k].reason);
      if (options.on_error == OnError::Raise) {
        if (errors[k].io) throw IOError(msg);
        throw FormatError(msg);
      }
      std::cerr << "zengen: warning: " << msg << " (skipped)\n";
      skipped_.push_back({files[k].first, errors[k].reason});
      continue;
    }
    if (kept != static_cast<std::int64_t>(k))
      std::copy_n(dst + static_cast<std::int64_t>(k) * per, per, dst + kept * per);
    paths_.push_back(files[k].first);
    labels.push_back(class_index[files[k].second]);
    ++kept;
  }
  ZENGEN_CHECK(kept > 0, IOError, op, ": none of the ", n, " image files under '", root,
               "' could be decoded (first: '", skipped_.front().path, "': ", skipped_.front().reason, ")");
  images_ = kept == n ? all : all.narrow(0, 0, kept).clone();
  labels_ = Tensor::empty({kept}, {.dtype = DType::Int64});
  std::copy(labels.begin(), labels.end(), labels_.data<std::int64_t>());
}

Example ImageFolder::get(std::int64_t i) const {
  ZENGEN_CHECK(i >= 0 && i < size(), ValueError, "ImageFolder::get: index ", i, " out of range for ", size(),
               " images");
  return {images_.select(0, i), labels_.data<std::int64_t>()[i]};
}

}  // namespace zengen::data
