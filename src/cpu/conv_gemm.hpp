// Internal to the convolution kernels: the GEMM they lower to, over raw
// memory. float32 runs zengen's packed SGEMM (cpu/gemm.hpp), which reads
// transposed operands in place; float64 maps the operands onto Eigen.
#pragma once

#include <Eigen/Core>
#include <type_traits>

#include "cpu/conv_common.hpp"
#include "cpu/gemm.hpp"

namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS::conv_detail {

// ---- matrices over raw memory (row-major, leading dimension ld) ----

template <typename T>
using RowMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename T>
using MatrixMap = Eigen::Map<RowMatrix<T>, Eigen::Unaligned, Eigen::OuterStride<>>;
template <typename T>
using ConstMatrixMap = Eigen::Map<const RowMatrix<T>, Eigen::Unaligned, Eigen::OuterStride<>>;

template <typename T>
MatrixMap<T> matrix(T* p, Index rows, Index cols, Index ld) {
  return MatrixMap<T>(p, rows, cols, Eigen::OuterStride<>(ld));
}
template <typename T>
ConstMatrixMap<T> matrix(const T* p, Index rows, Index cols, Index ld) {
  return ConstMatrixMap<T>(p, rows, cols, Eigen::OuterStride<>(ld));
}

// C[m, n] (row-major, leading dimension ldc) = A[m, k] B[k, n] (+ C when
// accumulate), single-threaded (the callers split the work themselves). A
// and B are strided views (row stride, column stride). `kernel` is the
// float32 GEMM (ConvTuning::gemm_kernel); float64 always takes Eigen.
// `threads` 0 lets the GEMM split itself (outside any parallel region).
template <typename T>
void gemm(Index m, Index n, Index k, const T* a, Index a_rs, Index a_cs, const T* b, Index b_rs, Index b_cs,
          bool accumulate, T* c, Index ldc, GemmKernel kernel, int threads = 1) {
  if constexpr (std::is_same_v<T, float>) {
    sgemm(m, n, k, 1.0f, {a, a_rs, a_cs}, {b, b_rs, b_cs}, accumulate ? 1.0f : 0.0f, c, ldc,
          {.threads = threads, .kernel = kernel});
  } else {
    using Strided = Eigen::Map<const RowMatrix<T>, Eigen::Unaligned, Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>>;
    const Strided A(a, m, k, Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>(a_rs, a_cs));
    const Strided B(b, k, n, Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>(b_rs, b_cs));
    auto C = matrix(c, m, n, ldc);
    if (accumulate) C.noalias() += A * B;
    else C.noalias() = A * B;
  }
}

// The transposed weight [K, O], backward-data's A operand: a strided view
// (row stride rs, column stride cs) and, for float32 with the packed SGEMM,
// the same packed once per call for the products that use all its rows.
template <typename T>
struct TransposedWeight {
  const T* data;
  Index rs, cs;
  GemmKernel kernel;  // for the products through gemm()
  const PackedMatrixA* packed = nullptr;

  // c [rows, n] (+)= rows [r0, r0 + rows) of it x b [O, n] (rows ldb apart).
  void multiply(Index r0, Index rows, Index n, Index O, const T* b, Index ldb, bool accumulate, T* c,
                Index ldc) const {
    if constexpr (std::is_same_v<T, float>) {
      if (packed && r0 == 0 && rows == packed->rows())
        return sgemm_prepacked(*packed, n, ConstMatrixF{b, ldb, 1}, accumulate ? 1.0f : 0.0f, c, ldc);
    }
    gemm(rows, n, O, data + r0 * rs, rs, cs, b, ldb, Index{1}, accumulate, c, ldc, kernel);
  }
};

}  // namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS::conv_detail
