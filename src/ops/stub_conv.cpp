// TEMPORARY: placeholders until src/ops/conv.cpp lands; each throws.
#include "zengen/ops/conv.hpp"

namespace zengen {
Tensor conv2d(const Tensor&, const Tensor&, const Tensor&, const Conv2dParams&) {
  throw Error("conv2d: not implemented yet");
}
Tensor conv_transpose2d(const Tensor&, const Tensor&, const Tensor&, const Conv2dParams&) {
  throw Error("conv_transpose2d: not implemented yet");
}
std::int64_t conv_output_size(std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t) {
  throw Error("conv_output_size: not implemented yet");
}
std::int64_t conv_transpose_output_size(std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t,
                                        std::int64_t) {
  throw Error("conv_transpose_output_size: not implemented yet");
}
}  // namespace zengen
