// safetensors checkpoints (https://github.com/huggingface/safetensors):
// an 8-byte little-endian header length N, N bytes of JSON naming each
// tensor's dtype, shape and byte range, then the raw little-endian,
// row-major tensor data.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "zengen/core/tensor.hpp"

namespace zengen::io {

/// What load_safetensors returns: the tensors in file order (by data
/// offset) and the free-form "__metadata__" strings.
struct SafetensorsFile {
  std::vector<std::pair<std::string, Tensor>> tensors;
  std::map<std::string, std::string> metadata;

  bool contains(std::string_view name) const;
  /// The tensor called `name`; ValueError listing what the file holds if absent.
  const Tensor& at(std::string_view name) const;
  std::vector<std::string> names() const;
  std::map<std::string, Tensor> to_map() const;
};

/// Writes `tensors` (any device and layout: each is copied to contiguous CPU
/// memory) and `metadata` to `path`, atomically: the bytes go to a temporary
/// file in the same folder, which is flushed, synced and renamed over `path`;
/// on any error it is removed and an existing `path` is left untouched.
/// Dtypes are stored as F32, F64, I64 and BOOL; the data is laid out by
/// element size (largest first), then by name, so every tensor is aligned.
/// Throws ValueError for an undefined tensor or a reserved/invalid name,
/// IOError (naming the file and the OS reason) when writing fails.
void save_safetensors(const std::string& path, const std::map<std::string, Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

/// Reads a safetensors file into CPU tensors. F32, F64, I64 and BOOL load as
/// they are; F16 and BF16 load as float32, and I8, U8, I16, U16, I32, U32 and
/// U64 (when every value fits) as int64. Anything malformed (short file,
/// oversized header, bad JSON, duplicate keys, bad entries, unknown or
/// unsupported dtypes, data ranges that overlap, leave holes or do not match
/// the shape) is a FormatError naming the file and the problem; a file that
/// cannot be opened or read is an IOError.
SafetensorsFile load_safetensors(const std::string& path);

}  // namespace zengen::io
