// Default caps on what a file may make zengen allocate. A hostile or broken
// file can declare far more than it holds (a 100-byte PNG header can declare
// 20000 x 20000 pixels), so readers check the declared sizes against these
// caps, and against the file's own length, before they allocate or decode.
// Each reader takes its caps as arguments or options; these are the defaults.
#pragma once

#include <cstdint>

namespace zengen {

/// Decoded pixels (width * height) an image file may declare.
inline constexpr std::int64_t kDefaultMaxImagePixels = std::int64_t{1} << 26;
/// Bytes an image file may hold (it is read into memory whole).
inline constexpr std::int64_t kDefaultMaxImageFileBytes = std::int64_t{1} << 28;

}  // namespace zengen
