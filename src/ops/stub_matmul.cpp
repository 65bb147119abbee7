// TEMPORARY: placeholder until src/ops/matmul.cpp lands; throws.
#include "zengen/ops/matmul.hpp"

namespace zengen {
Tensor matmul(const Tensor&, const Tensor&) { throw Error("matmul: not implemented yet"); }
}  // namespace zengen
