// The kinds of element-wise, activation and loss kernels, named once for
// both backends: the CPU kernels (src/cpu/) and the CUDA launchers (cuda/)
// take these very types (`cpu::BinaryOp` and `cuda::BinaryOp` are this
// `kernels::BinaryOp`), so the ops pass a kind to either device unconverted
// and no list can drift from the other. Plain C++, no dependency: the CUDA
// module and every ISA level's kernels include it alike.
#pragma once

namespace zengen::kernels {

/// out = a <op> b
enum class BinaryOp { Add, Sub, Mul, Div, Max, Min };
/// out = op(x)
enum class UnaryOp { Neg, Exp, Log, Sqrt, Abs, Square };
/// out = x + s, x * s, s - x, s / x
enum class ScalarOp { Add, Mul, RSub, RDiv };
/// out (Bool) = a <op> b
enum class CompareOp { Eq, Ne, Lt, Le, Gt, Ge };
/// the parameter-free activations
enum class Activation { ReLU, Sigmoid, Tanh, Softplus };
/// the element-wise losses (terms of src/kernels/loss_functors.hpp)
enum class PointwiseLoss { MSE, L1, BCE, BCEWithLogits };

}  // namespace zengen::kernels
