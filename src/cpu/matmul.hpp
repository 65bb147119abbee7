// Internal: CPU matrix-product kernels.
//
// Both take a of shape [..., n, k] and b of shape [..., k, m] (each at least
// 2-d, any strides) and write out, contiguous, of shape [..., n, m]; out's
// batch dims are the broadcast of a's and b's (checked by the caller), and a
// batch dim of size 1 (or missing) in an operand is reused for every batch.
#pragma once

#include "cpu/isa.hpp"

#include "zengen/core/tensor.hpp"

namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS {

/// The plain triple loop, kept as the reference the tests compare against.
void matmul_reference(const Tensor& out, const Tensor& a, const Tensor& b);
/// The fast path, threaded with OpenMP (OMP_NUM_THREADS): float32 through
/// zengen's packed SGEMM (cpu/gemm.hpp; Eigen where the CPU lacks AVX2/FMA),
/// float64 through Eigen's GEMM on the operands in place where their strides
/// allow.
void matmul(const Tensor& out, const Tensor& a, const Tensor& b);

}  // namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS
