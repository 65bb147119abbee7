// Internal: CPU element-wise kernels. Every function writes `out` (allocated
// by the caller with the broadcast shape) from inputs broadcast to it.
#pragma once

#include "cpu/isa.hpp"

#include "kernels/op_kinds.hpp"
#include "zengen/core/tensor.hpp"

namespace zengen::cpu {

// The kinds are the CUDA launchers' too (src/kernels/op_kinds.hpp).
using kernels::BinaryOp;
using kernels::CompareOp;
using kernels::ScalarOp;
using kernels::UnaryOp;

}  // namespace zengen::cpu

namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS {

void binary(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b);
void unary(UnaryOp op, const Tensor& out, const Tensor& x);
void scalar(ScalarOp op, const Tensor& out, const Tensor& x, double s);
void pow(const Tensor& out, const Tensor& x, double exponent);
void clamp(const Tensor& out, const Tensor& x, double low, double high);
/// out (Bool) = a <op> b.
void compare(CompareOp op, const Tensor& out, const Tensor& a, const Tensor& b);
/// out = cond ? a : b, cond Bool.
void where(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b);

}  // namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS
