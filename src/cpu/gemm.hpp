// Internal: zengen's own single-precision GEMM, C = alpha A B + beta C.
//
// The classic packed design (Goto / BLIS): B is copied, KC rows by NC
// columns at a time, into panels NR columns wide that stay in L3/L2; A is
// copied, MC rows by KC at a time, into panels MR rows tall that stay in L2;
// a register-blocked micro-kernel then multiplies one MR x KC panel of A by
// one KC x NR panel of B into an MR x NR tile of C held in registers. The
// copies turn any operand layout (row-major, transposed, strided) into the
// contiguous order the micro-kernel streams, and zero-pad the edges, so the
// micro-kernel is one loop with no special cases. A tile with fewer rows
// than MR (the AVX2 kernel) runs a micro-kernel of that many rows; one with
// fewer columns than NR goes through a small buffer.
//
// Micro-kernels (by ISA level, src/cpu/isa.hpp; the level is chosen at run time):
//   avx2    6 x 16, AVX2 + FMA: 12 ymm accumulators (6 rows x 2 vectors),
//           2 for the B row, 1 for the broadcast A value = 15 of the 16 ymm
//           registers. 12 independent FMA chains cover the 2 FMA pipes x
//           4-5 cycles of latency on Zen 2 / Haswell; per k step it loads
//           2 vectors and broadcasts 6 scalars for 12 FMAs, below the 2
//           loads per cycle the core can issue.
//   avx512  12 x 32, AVX-512F: 24 zmm accumulators + 2 + 1 of 32 registers.
//           In the avx512 level's build, which holds the avx2 kernel too.
//   eigen   the baseline level (or not x86-64): Eigen's GEMM does the product.
//
// Threads: C is cut into one rectangle per thread (a grid over its rows and
// columns, in whole micro-tiles), and each thread runs the packed loops on
// its rectangle with its own thread-local packing buffers, so there is no
// barrier inside a product. Inside an OpenMP parallel region (conv splits by
// images itself) a product runs on the calling thread only.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "cpu/isa.hpp"

namespace zengen::cpu {

/// A read-only strided float matrix view: element (r, c) is at
/// data[r * row_stride + c * col_stride]. A transposed matrix is the same
/// memory with the two strides swapped.
struct ConstMatrixF {
  const float* data;
  std::int64_t row_stride, col_stride;
};

enum class GemmKernel { Auto, Avx2, Avx512, Eigen };

}  // namespace zengen::cpu

namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS {
/// Whether `kernel` can run on this CPU (Auto and Eigen always can).
bool gemm_kernel_available(GemmKernel kernel);
/// The kernel Auto picks here: Avx512, else Avx2, else Eigen.
GemmKernel gemm_best_kernel();
std::string_view gemm_kernel_name(GemmKernel kernel);

}  // namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS

namespace zengen::cpu {

struct GemmOptions {
  /// Threads that may split the product: 0 = automatic (omp_get_max_threads()
  /// for products large enough to pay for a fork, one inside a parallel
  /// region), otherwise at most this many.
  int threads = 0;
  GemmKernel kernel = GemmKernel::Auto;
};

}  // namespace zengen::cpu

namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS {
/// C[m, n] = alpha * A[m, k] B[k, n] + beta * C, where C is row-major with
/// leading dimension ldc (C[i, j] at c[i * ldc + j]). With beta == 0, C is
/// only written (NaNs or garbage in it do not propagate). A and B may have
/// any strides (transposed or strided views need no copy of their own).
void sgemm(std::int64_t m, std::int64_t n, std::int64_t k, float alpha, ConstMatrixF a, ConstMatrixF b, float beta,
           float* c, std::int64_t ldc, GemmOptions options = {});

}  // namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS

namespace zengen::cpu {

// ---- for callers that reuse one operand or build the other themselves ----
//
// A convolution multiplies the same weight by the columns of every image:
// packing the weight once per call (not once per image) and writing each
// image's columns straight into the micro-kernel's panels (not into a
// column matrix that is then packed again) removes two copies per image.

/// A [m, k] packed once in a packed kernel's layout (Avx2 or Avx512), for
/// any number of sgemm_prepacked calls on any thread. Reusing one object
/// reuses its storage.
class PackedMatrixA {
 public:
  std::int64_t rows() const { return m_; }
  std::int64_t depth() const { return k_; }
  GemmKernel kernel() const { return kernel_; }

 private:
  friend struct PackedAccess;
  GemmKernel kernel_ = GemmKernel::Eigen;
  std::int64_t m_ = 0, k_ = 0;
  std::vector<float> data_;
};

/// The packing code's access to a PackedMatrixA's fields.
struct PackedAccess {
  static std::vector<float>& data(PackedMatrixA& a) { return a.data_; }
  static const std::vector<float>& data(const PackedMatrixA& a) { return a.data_; }
  static void set(PackedMatrixA& a, GemmKernel kernel, std::int64_t m, std::int64_t k) {
    a.kernel_ = kernel;
    a.m_ = m;
    a.k_ = k;
  }
};

}  // namespace zengen::cpu

namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS {
/// The packed kernel `kernel` stands for here (Auto: the best one), or Eigen
/// when this CPU has none: then pack_matrix_a and sgemm_prepacked cannot be
/// used and the caller takes sgemm.
GemmKernel gemm_packed_kernel(GemmKernel kernel);
/// Width of the B panels (the micro-kernel's NR) for a packed kernel.
int gemm_panel_width(GemmKernel kernel);

/// Packs A [m, k] for `kernel` (a packed kernel, see gemm_packed_kernel),
/// split over up to `threads` threads (one inside a parallel region).
void pack_matrix_a(PackedMatrixA& dst, std::int64_t m, std::int64_t k, ConstMatrixF a, GemmKernel kernel,
                   int threads = 1);

}  // namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS

namespace zengen::cpu {

/// Fills rows [k0, k0 + kc) x columns [j0, j0 + nc) of B as panels `nr`
/// columns wide, one after another: panel t holds, row by row, the nr values
/// B[k0 + p, j0 + t nr + s] (zeros past column j0 + nc).
class PanelPacker {
 public:
  template <typename F>
  PanelPacker(F& f)  // NOLINT: a reference to a callable, like std::function_ref
      : object_(&f), call_([](void* o, std::int64_t k0, std::int64_t kc, std::int64_t j0, std::int64_t nc, int nr,
                              float* dst) { (*static_cast<F*>(o))(k0, kc, j0, nc, nr, dst); }) {}
  void operator()(std::int64_t k0, std::int64_t kc, std::int64_t j0, std::int64_t nc, int nr, float* dst) const {
    call_(object_, k0, kc, j0, nc, nr, dst);
  }

 private:
  void* object_;
  void (*call_)(void*, std::int64_t, std::int64_t, std::int64_t, std::int64_t, int, float*);
};

}  // namespace zengen::cpu

namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS {
/// C[m, n] = A B + beta C on the calling thread, with A packed by
/// pack_matrix_a and B [a.depth(), n] given panel by panel by `pack_b`.
void sgemm_prepacked(const PackedMatrixA& a, std::int64_t n, PanelPacker pack_b, float beta, float* c,
                     std::int64_t ldc);
/// The same with B a strided matrix.
void sgemm_prepacked(const PackedMatrixA& a, std::int64_t n, ConstMatrixF b, float beta, float* c,
                     std::int64_t ldc);
/// C[m, n] = A[m, k] B + beta C on the calling thread, A a strided matrix
/// and B given panel by panel by `pack_b`, with a packed kernel.
void sgemm_panels(std::int64_t m, std::int64_t n, std::int64_t k, ConstMatrixF a, PanelPacker pack_b, float beta,
                  float* c, std::int64_t ldc, GemmKernel kernel);

}  // namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS

