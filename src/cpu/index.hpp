// Internal: CPU kernels of index_select and index_add. Tensors are
// contiguous, of one dtype, on the CPU; the indices are already checked and
// wrapped (0 <= idx[i] < the indexed dim's size) by src/ops/index.cpp. The
// indexed dim splits a tensor into [outer, size, inner].
#pragma once

#include "cpu/isa.hpp"

#include <cstdint>
#include <vector>

#include "zengen/core/tensor.hpp"

namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS {

/// out [outer, n, inner] = x [outer, size, inner] at rows idx along `dim`
/// (any dtype): one row copy per (outer, i), split across threads.
void index_select(const Tensor& out, const Tensor& x, std::int64_t dim, const std::vector<std::int64_t>& idx);

/// out [outer, size, inner] += source [outer, n, inner] at rows idx along
/// `dim` (floating): repeated indices add up, in index order, so the result
/// does not depend on the thread count.
void index_add_(const Tensor& out, std::int64_t dim, const std::vector<std::int64_t>& idx, const Tensor& source);

}  // namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS
