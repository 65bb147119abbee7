// Internal: CPU element-wise kernels. Every function writes `out` (allocated
// by the caller with the broadcast shape) from inputs broadcast to it.
#pragma once

#include "cpu/isa.hpp"

#include "zengen/core/tensor.hpp"

namespace zengen::cpu {

enum class BinaryOp { Add, Sub, Mul, Div, Max, Min };
enum class UnaryOp { Neg, Exp, Log, Sqrt, Abs, Square };
enum class ScalarOp { Add, Mul, RSub, RDiv };
enum class CompareOp { Eq, Ne, Lt, Le, Gt, Ge };

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
