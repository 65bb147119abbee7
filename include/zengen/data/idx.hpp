// IDX files, the format of MNIST and Fashion-MNIST: two zero bytes, a type
// byte (0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64), a byte
// with the number of dims, the dims as big-endian u32, then the big-endian
// data. gzip-compressed files (detected by their 1f 8b magic, whatever their
// name) are read through zlib.
//
// Malformed files (bad magic, unknown type, fewer or more data bytes than
// the dims declare, more than 2^31 elements, corrupt gzip data) are a
// FormatError naming the file and the problem; a file that cannot be opened
// or read is an IOError. The magic is checked first ("not an idx file
// (bad magic ...)"; read_idx_images and read_idx_labels: "not an idx image
// file: expected ..."), before the dims and the data are read.
//
// Memory: the data is read in chunks of 4 MiB and converted into the
// tensor as it comes, so the raw bytes never stand beside the whole tensor;
// a gzip file whose tensor would take more than 64 MiB is inflated twice,
// first only to check that all its data is there, so that a small file
// claiming huge dims allocates nothing.
#pragma once

#include <string>

#include "zengen/core/tensor.hpp"

namespace zengen::data {

/// The raw values of any IDX file, shaped by its dims: float32 for u8, i8,
/// i16 and f32 data, float64 for f64, int64 for i32.
Tensor read_idx(const std::string& path);

/// MNIST-style images (magic 0x00000803: u8 [N, rows, cols]) as float32
/// [N, 1, rows, cols] scaled to [0, 1]. Rows and cols must be positive.
Tensor read_idx_images(const std::string& path);

/// MNIST-style labels (magic 0x00000801: u8 [N]) as int64 [N].
Tensor read_idx_labels(const std::string& path);

}  // namespace zengen::data
