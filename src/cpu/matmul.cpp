#include "cpu/matmul.hpp"

#include <omp.h>

#include <Eigen/Core>
#include <algorithm>
#include <vector>

#include "cpu/copy.hpp"
#include "cpu/gemm.hpp"

namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS {

namespace {

/// Where each batch's matrices start (element offsets from data_ptr); batch i
/// of the contiguous output starts at i * n * m.
struct BatchOffsets {
  std::int64_t count = 1;
  std::vector<std::int64_t> a, b;
};

// The strides of x's batch dims when broadcast to out's batch dims: x's
// batch dims are right-aligned, and missing or size-1 ones get stride 0.
Shape batch_strides(const Tensor& x, std::int64_t out_batch_ndim) {
  Shape strides(std::vector<std::int64_t>(static_cast<std::size_t>(out_batch_ndim), 0));
  const std::int64_t x_batch_ndim = x.dim() - 2;
  for (std::int64_t d = 0; d < x_batch_ndim; ++d)
    if (x.shape()[d] != 1) strides[out_batch_ndim - x_batch_ndim + d] = x.strides()[d];
  return strides;
}

BatchOffsets batch_offsets(const Tensor& out, const Tensor& a, const Tensor& b) {
  const std::int64_t ndim = out.dim() - 2;
  const Shape sa = batch_strides(a, ndim), sb = batch_strides(b, ndim);
  BatchOffsets off;
  for (std::int64_t d = 0; d < ndim; ++d) off.count *= out.shape()[d];
  off.a.resize(static_cast<std::size_t>(off.count));
  off.b.resize(static_cast<std::size_t>(off.count));
  for (std::int64_t i = 0; i < off.count; ++i) {
    std::int64_t rest = i, oa = 0, ob = 0;
    for (std::int64_t d = ndim - 1; d >= 0; --d) {
      const std::int64_t idx = rest % out.shape()[d];
      rest /= out.shape()[d];
      oa += idx * sa[d];
      ob += idx * sb[d];
    }
    off.a[static_cast<std::size_t>(i)] = oa;
    off.b[static_cast<std::size_t>(i)] = ob;
  }
  return off;
}

// ---- the Eigen path ----

/// How a strided matrix maps onto Eigen without a copy: rows packed with a
/// row stride (row-major), columns packed with a column stride (col-major, e.g.
/// a transposed view), or neither (copied first).
enum class Layout { RowMajor, ColMajor, Strided };
struct MatrixLayout {
  Layout layout;
  std::int64_t outer_stride;
};

MatrixLayout layout_of(std::int64_t rows, std::int64_t cols, std::int64_t row_stride, std::int64_t col_stride) {
  // A size-1 dim's stride never matters; Eigen only needs the outer stride
  // to cover the inner extent.
  if ((cols == 1 || col_stride == 1) && (rows == 1 || row_stride >= cols))
    return {Layout::RowMajor, rows == 1 ? cols : row_stride};
  if ((rows == 1 || row_stride == 1) && (cols == 1 || col_stride >= rows))
    return {Layout::ColMajor, cols == 1 ? rows : col_stride};
  return {Layout::Strided, 0};
}

MatrixLayout layout_of(const Tensor& x) {
  return layout_of(x.size(-2), x.size(-1), x.stride(-2), x.stride(-1));
}

template <typename T, int Order>
using ConstMap = Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Order>, Eigen::Unaligned,
                            Eigen::OuterStride<>>;
template <typename T>
using OutMap = Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;

// Products smaller than this (multiply-adds) are not worth splitting inside
// one GEMM: many of them run in parallel over the batch instead.
constexpr double kSmallProduct = 128.0 * 128.0 * 128.0;

/// One product's sizes: [n, k] x [k, m].
struct Sizes {
  std::int64_t n, k, m;
};

template <typename T, int OrderA, int OrderB>
void gemm_batches(const Tensor& out, const Tensor& a, std::int64_t outer_a, const Tensor& b, std::int64_t outer_b,
                  const BatchOffsets& off, Sizes size) {
  // Plain variables, not a structured binding: the lambda below captures
  // them, which clang accepts only from version 16.
  const std::int64_t n = size.n, k = size.k, m = size.m;
  T* po = static_cast<T*>(out.data_ptr());
  const T* pa = static_cast<const T*>(a.data_ptr());
  const T* pb = static_cast<const T*>(b.data_ptr());
  auto product = [&](std::int64_t i) {
    const auto s = static_cast<std::size_t>(i);
    const ConstMap<T, OrderA> A(pa + off.a[s], n, k, Eigen::OuterStride<>(outer_a));
    const ConstMap<T, OrderB> B(pb + off.b[s], k, m, Eigen::OuterStride<>(outer_b));
    OutMap<T> C(po + i * n * m, n, m);
    C.noalias() = A * B;
  };

  // One big product: Eigen splits it across OpenMP threads itself. Many
  // products: each thread takes whole products (Eigen sees it is inside a
  // parallel region and stays single-threaded), which avoids the
  // per-product synchronisation of small GEMMs.
  const double work = static_cast<double>(n) * static_cast<double>(m) * static_cast<double>(k);
  const int max_threads = omp_in_parallel() ? 1 : omp_get_max_threads();
  const bool over_batches = max_threads > 1 && off.count > 1 &&
                            (work < kSmallProduct || off.count >= 4 * max_threads) &&
                            work * static_cast<double>(off.count) >= 65536.0;
  if (!over_batches) {
    for (std::int64_t i = 0; i < off.count; ++i) product(i);
    return;
  }
  const int threads = static_cast<int>(std::min<std::int64_t>(max_threads, off.count));
#pragma omp parallel for schedule(static) num_threads(threads)
  for (std::int64_t i = 0; i < off.count; ++i) product(i);
}

// [..., n, k] x [k, m] where every batch of a is the next n rows of one
// row-major matrix (a contiguous stack, as a linear layer sees): one GEMM of
// count * n rows instead of count small ones. The output, contiguous, is
// already laid out as that product's [count * n, m] result.
bool rows_fold(const BatchOffsets& off, std::int64_t n, const MatrixLayout& la) {
  if (la.layout != Layout::RowMajor || off.count <= 1) return false;
  for (std::int64_t i = 0; i < off.count; ++i) {
    const auto s = static_cast<std::size_t>(i);
    if (off.b[s] != 0 || off.a[s] != i * n * la.outer_stride) return false;
  }
  return true;
}

// float32 through zengen's own packed SGEMM (cpu/gemm.hpp), which reads any
// strides itself: no compaction, no layout cases. The batch split mirrors
// gemm_batches: many small products each on one thread, otherwise one
// product at a time, each split across the threads by sgemm.
void sgemm_matmul(const Tensor& out, const Tensor& a, const Tensor& b) {
  BatchOffsets off = batch_offsets(out, a, b);
  Sizes size{out.size(-2), a.size(-1), out.size(-1)};
  const MatrixLayout la = layout_of(a);
  if (rows_fold(off, size.n, la)) {
    size.n *= off.count;
    off = BatchOffsets{};
    off.a = off.b = {0};
  }
  const auto [n, k, m] = size;
  float* po = static_cast<float*>(out.data_ptr());
  const float* pa = static_cast<const float*>(a.data_ptr());
  const float* pb = static_cast<const float*>(b.data_ptr());
  // After a row fold, a's rows are la.outer_stride apart (a size-1 dim's
  // stride is arbitrary, so take the layout's, not the tensor's).
  const std::int64_t a_rs = la.layout == Layout::RowMajor ? la.outer_stride : a.stride(-2);
  const std::int64_t a_cs = la.layout == Layout::RowMajor ? 1 : a.stride(-1);
  auto product = [&](std::int64_t i, int threads) {
    const auto s = static_cast<std::size_t>(i);
    sgemm(n, m, k, 1.0f, {pa + off.a[s], a_rs, a_cs}, {pb + off.b[s], b.stride(-2), b.stride(-1)}, 0.0f,
          po + i * n * m, m, {.threads = threads});
  };
  const double work = static_cast<double>(n) * static_cast<double>(m) * static_cast<double>(k);
  const int max_threads = omp_in_parallel() ? 1 : omp_get_max_threads();
  const bool over_batches = max_threads > 1 && off.count > 1 &&
                            (work < kSmallProduct || off.count >= 4 * max_threads) &&
                            work * static_cast<double>(off.count) >= 65536.0;
  if (!over_batches) {
    for (std::int64_t i = 0; i < off.count; ++i) product(i, 0);
    return;
  }
  const int threads = static_cast<int>(std::min<std::int64_t>(max_threads, off.count));
#pragma omp parallel for schedule(static) num_threads(threads)
  for (std::int64_t i = 0; i < off.count; ++i) product(i, 1);
}

template <typename T>
void eigen_matmul(const Tensor& out, Tensor a, Tensor b) {
  MatrixLayout la = layout_of(a), lb = layout_of(b);
  // Neither layout fits (e.g. every other column): compact once, up front.
  auto compact = [](Tensor& x, MatrixLayout& l) {
    if (l.layout != Layout::Strided) return;
    Tensor c = Tensor::empty(x.shape(), {.dtype = x.dtype(), .device = x.device()});
    copy(c, x);
    x = c;
    l = layout_of(x);
  };
  compact(a, la);
  compact(b, lb);
  BatchOffsets off = batch_offsets(out, a, b);
  Sizes size{out.size(-2), a.size(-1), out.size(-1)};
  if (rows_fold(off, size.n, la)) {
    size.n *= off.count;
    off = BatchOffsets{};
    off.a = off.b = {0};
  }
  constexpr int R = Eigen::RowMajor, C = Eigen::ColMajor;
  const bool ra = la.layout == Layout::RowMajor, rb = lb.layout == Layout::RowMajor;
  if (ra && rb) gemm_batches<T, R, R>(out, a, la.outer_stride, b, lb.outer_stride, off, size);
  else if (ra) gemm_batches<T, R, C>(out, a, la.outer_stride, b, lb.outer_stride, off, size);
  else if (rb) gemm_batches<T, C, R>(out, a, la.outer_stride, b, lb.outer_stride, off, size);
  else gemm_batches<T, C, C>(out, a, la.outer_stride, b, lb.outer_stride, off, size);
}

void check_internal(const Tensor& out, const Tensor& a, const Tensor& b) {
  // (Tensor::is_contiguous says false for some empty shapes, e.g. [2, 0].)
  ZENGEN_CHECK((out.numel() == 0 || out.is_contiguous()) && a.dim() >= 2 && b.dim() >= 2 && out.dim() >= 2 &&
                   a.size(-1) == b.size(-2) && out.size(-2) == a.size(-2) && out.size(-1) == b.size(-1),
               Error, "internal: cpu::matmul called with out ", out.shape(), ", a ", a.shape(), ", b ", b.shape());
}

}  // namespace

void matmul_reference(const Tensor& out, const Tensor& a, const Tensor& b) {
  check_internal(out, a, b);
  dispatch_floating(out.dtype(), "matmul_reference", [&]<typename T>() {
    const std::int64_t n = out.size(-2), m = out.size(-1), k = a.size(-1);
    const std::int64_t ars = a.stride(-2), acs = a.stride(-1), brs = b.stride(-2), bcs = b.stride(-1);
    const BatchOffsets off = batch_offsets(out, a, b);
    T* po = static_cast<T*>(out.data_ptr());
    for (std::int64_t i = 0; i < off.count; ++i) {
      const T* pa = static_cast<const T*>(a.data_ptr()) + off.a[static_cast<std::size_t>(i)];
      const T* pb = static_cast<const T*>(b.data_ptr()) + off.b[static_cast<std::size_t>(i)];
      for (std::int64_t r = 0; r < n; ++r)
        for (std::int64_t c = 0; c < m; ++c) {
          double acc = 0;  // in double: the reference should be the more exact side
          for (std::int64_t p = 0; p < k; ++p)
            acc += static_cast<double>(pa[r * ars + p * acs]) * static_cast<double>(pb[p * brs + c * bcs]);
          po[(i * n + r) * m + c] = static_cast<T>(acc);
        }
    }
  });
}

void matmul(const Tensor& out, const Tensor& a, const Tensor& b) {
  check_internal(out, a, b);
  if (out.numel() == 0) return;
  if (a.size(-1) == 0) {  // empty sums
    fill(out, 0.0);
    return;
  }
  if (out.dtype() == DType::Float32) {
    sgemm_matmul(out, a, b);
    return;
  }
  dispatch_floating(out.dtype(), "matmul", [&]<typename T>() { eigen_matmul<T>(out, a, b); });
}

}  // namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS
