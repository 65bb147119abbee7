// Internal: CPU copy and fill kernels.
#pragma once

#include "cpu/isa.hpp"

#include "zengen/core/tensor.hpp"

namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS {

/// dst = src element-wise, src broadcast to dst's shape, any dtypes (converted).
void copy(const Tensor& dst, const Tensor& src);
/// Every element of dst set to value (converted to dst's dtype).
void fill(const Tensor& dst, double value);

}  // namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS
