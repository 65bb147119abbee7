// Runtime element types. Float32 runs everywhere, Float64 on the CPU (for
// gradcheck and references); Int64 holds labels and indices, Bool holds masks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string_view>

#include "zengen/core/error.hpp"

namespace zengen {

enum class DType : std::uint8_t { Float32, Float64, Int64, Bool };

constexpr std::size_t element_size(DType t) {
  switch (t) {
    case DType::Float32: return 4;
    case DType::Float64: return 8;
    case DType::Int64: return 8;
    case DType::Bool: return 1;
  }
  return 0;
}

constexpr std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
    case DType::Int64: return "int64";
    case DType::Bool: return "bool";
  }
  return "?";
}

constexpr bool is_floating(DType t) { return t == DType::Float32 || t == DType::Float64; }

inline std::ostream& operator<<(std::ostream& os, DType t) { return os << dtype_name(t); }

/// The DType of a C++ element type: dtype_of<float> == DType::Float32.
template <typename T> struct DTypeOf;
template <> struct DTypeOf<float> { static constexpr DType value = DType::Float32; };
template <> struct DTypeOf<double> { static constexpr DType value = DType::Float64; };
template <> struct DTypeOf<std::int64_t> { static constexpr DType value = DType::Int64; };
template <> struct DTypeOf<bool> { static constexpr DType value = DType::Bool; };
template <typename T> inline constexpr DType dtype_of = DTypeOf<T>::value;

/// Calls f.template operator()<T>() with T the C++ type of a floating dtype;
/// any other dtype is a DTypeError naming the operation.
template <typename F>
decltype(auto) dispatch_floating(DType t, std::string_view op, F&& f) {
  switch (t) {
    case DType::Float32: return f.template operator()<float>();
    case DType::Float64: return f.template operator()<double>();
    default: break;
  }
  throw DTypeError(detail::concat(op, ": expected a floating dtype (float32 or float64), got ", t));
}

/// Like dispatch_floating, for every dtype.
template <typename F>
decltype(auto) dispatch_all(DType t, F&& f) {
  switch (t) {
    case DType::Float32: return f.template operator()<float>();
    case DType::Float64: return f.template operator()<double>();
    case DType::Int64: return f.template operator()<std::int64_t>();
    case DType::Bool: return f.template operator()<bool>();
  }
  throw DTypeError("unknown dtype");
}

}  // namespace zengen
