// Internal: loads the CUDA backend module (libzengen_cuda.so) on the first
// CUDA request and hands out its table (cuda/backend.hpp). libzengen never
// links CUDA; a program that never asks for a CUDA device never loads it.
//
// Where the module is looked for, first match wins:
//   1. $ZENGEN_CUDA_LIBRARY, a full path: that file and nothing else;
//   2. beside the file holding libzengen's code (libzengen.so's folder, or
//      the executable's when libzengen.a was linked into it);
//   3. "libzengen_cuda.so" by plain name, through the loader's search path
//      (the caller's RUNPATH, LD_LIBRARY_PATH, ld.so.cache, /usr/lib ...).
// The first attempt's outcome is kept for the life of the process.
#pragma once

#include <string>

namespace zengen::cuda {
struct Backend;
}

namespace zengen::cuda_module {

/// The module's file name.
inline constexpr const char* kFileName = "libzengen_cuda.so";

/// The loaded table, or nullptr when the module cannot be loaded (why:
/// load_error()). Loads it on the first call; thread-safe.
const cuda::Backend* find();
/// The table when an earlier call loaded it, else nullptr; never loads.
const cuda::Backend* if_loaded();
/// The loaded table; throws DeviceError "<what>: no CUDA backend: <why>".
const cuda::Backend& get(const char* what);
/// Why find() is nullptr: the file(s) tried and the loader's error; "" when loaded.
const std::string& load_error();
/// The file the module was loaded from ("" when not loaded).
const std::string& loaded_path();

/// One attempt, without caching: loads the module from `path` (a full path,
/// or a plain name for the loader's search) and checks its table. On
/// failure returns nullptr and sets `error`.
const cuda::Backend* load(const std::string& path, std::string& error);

}  // namespace zengen::cuda_module
