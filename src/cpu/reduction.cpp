#include "cpu/reduction.hpp"

#include <cmath>

#include "cpu/copy.hpp"
#include "cpu/loops.hpp"

namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS {
namespace {

// x viewed as [M, R] with one stride per axis: kept dims (in order) form
// the rows, reduced dims the columns. When the dims of a group cannot be
// merged into one stride, x is first copied into that order.
struct Matrix {
  Tensor base;  // keeps the storage alive (x itself or its reordered copy)
  std::int64_t rows = 1, cols = 1;
  std::int64_t row_stride = 0, col_stride = 0;
};

// Merges dims (outer to inner) into one (size, stride); false if impossible.
bool merge(const std::vector<std::int64_t>& sizes, const std::vector<std::int64_t>& strides, std::int64_t& size,
           std::int64_t& stride) {
  size = 1;
  stride = 0;
  bool first = true;
  for (std::size_t i = sizes.size(); i-- > 0;) {
    if (sizes[i] == 1) continue;
    if (first) {
      stride = strides[i];
      first = false;
    } else if (strides[i] != stride * size) {
      return false;
    }
    size *= sizes[i];
  }
  if (first) stride = 1;
  return true;
}

Matrix as_matrix(const Tensor& x, const std::vector<bool>& reduce) {
  std::vector<std::int64_t> kept_sizes, kept_strides, red_sizes, red_strides;
  std::vector<std::int64_t> order;
  for (std::int64_t d = 0; d < x.dim(); ++d)
    if (!reduce[d]) {
      kept_sizes.push_back(x.shape()[d]);
      kept_strides.push_back(x.strides()[d]);
      order.push_back(d);
    }
  for (std::int64_t d = 0; d < x.dim(); ++d)
    if (reduce[d]) {
      red_sizes.push_back(x.shape()[d]);
      red_strides.push_back(x.strides()[d]);
      order.push_back(d);
    }
  Matrix m;
  if (merge(kept_sizes, kept_strides, m.rows, m.row_stride) && merge(red_sizes, red_strides, m.cols, m.col_stride)) {
    m.base = x;
    return m;
  }
  // Reorder into [kept..., reduced...] contiguously.
  Shape shape, strides;
  for (auto d : order) {
    shape.push_back(x.shape()[d]);
    strides.push_back(x.strides()[d]);
  }
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = x.storage();
  impl->shape = shape;
  impl->strides = strides;
  impl->offset = x.offset();
  impl->dtype = x.dtype();
  Tensor permuted(std::move(impl));
  m.base = Tensor::empty(shape, {.dtype = x.dtype()});
  copy(m.base, permuted);
  m.rows = 1;
  for (std::size_t i = 0; i < kept_sizes.size(); ++i) m.rows *= kept_sizes[i];
  m.cols = m.base.numel() / std::max<std::int64_t>(m.rows, 1);
  m.row_stride = m.cols;
  m.col_stride = 1;
  return m;
}

// Sum of n elements with stride s, accumulated in double.
template <typename T>
double row_sum(const T* p, std::int64_t n, std::int64_t s) {
  double acc = 0;
  if (s == 1) {
#pragma omp simd reduction(+ : acc)
    for (std::int64_t i = 0; i < n; ++i) acc += static_cast<double>(p[i]);
  } else {
    for (std::int64_t i = 0; i < n; ++i) acc += static_cast<double>(p[i * s]);
  }
  return acc;
}

}  // namespace

void sum(const Tensor& out, const Tensor& x, const std::vector<bool>& reduce) {
  dispatch_floating(x.dtype(), "sum", [&]<typename T>() {
    const Matrix m = as_matrix(x, reduce);
    const T* in = static_cast<const T*>(m.base.data_ptr());
    T* o = static_cast<T*>(out.data_ptr());
    const std::int64_t M = m.rows, R = m.cols;
    if (M == 0) return;
    if (R == 0) {
      for (std::int64_t i = 0; i < M; ++i) o[i] = T(0);
      return;
    }
    if (M == 1) {
      // One output: split the reduced axis across threads.
      const int threads = threads_for(R);
      double total = 0;
#pragma omp parallel for num_threads(threads) if (threads > 1) reduction(+ : total)
      for (int t = 0; t < threads; ++t) {
        const std::int64_t begin = R * t / threads, end = R * (t + 1) / threads;
        total += row_sum(in + begin * m.col_stride, end - begin, m.col_stride);
      }
      o[0] = static_cast<T>(total);
    } else if (m.row_stride == 1 && m.col_stride != 1) {
      // Kept positions contiguous, reduced axis outer (a bias gradient over
      // a batch): add whole rows into per-thread column blocks.
      const int threads = threads_for(M * R);
      constexpr std::int64_t kBlock = 1024;
      const std::int64_t blocks = (M + kBlock - 1) / kBlock;
#pragma omp parallel for num_threads(threads) if (threads > 1) schedule(dynamic)
      for (std::int64_t b = 0; b < blocks; ++b) {
        const std::int64_t begin = b * kBlock, n = std::min(kBlock, M - begin);
        double acc[kBlock] = {};
        for (std::int64_t r = 0; r < R; ++r) {
          const T* row = in + r * m.col_stride + begin;
#pragma omp simd
          for (std::int64_t i = 0; i < n; ++i) acc[i] += static_cast<double>(row[i]);
        }
        for (std::int64_t i = 0; i < n; ++i) o[begin + i] = static_cast<T>(acc[i]);
      }
    } else {
      const int threads = threads_for(M * R);
#pragma omp parallel for num_threads(threads) if (threads > 1)
      for (std::int64_t i = 0; i < M; ++i)
        o[i] = static_cast<T>(row_sum(in + i * m.row_stride, R, m.col_stride));
    }
  });
}

void max(const Tensor& values, const Tensor& indices, const Tensor& x, std::int64_t dim) {
  std::vector<bool> reduce(static_cast<std::size_t>(x.dim()), false);
  if (x.dim() > 0) reduce[static_cast<std::size_t>(dim)] = true;
  dispatch_floating(x.dtype(), "max", [&]<typename T>() {
    const Matrix m = as_matrix(x, reduce);
    const T* in = static_cast<const T*>(m.base.data_ptr());
    T* v = static_cast<T*>(values.data_ptr());
    auto* idx = static_cast<std::int64_t*>(indices.data_ptr());
    const int threads = threads_for(m.rows * m.cols);
#pragma omp parallel for num_threads(threads) if (threads > 1)
    for (std::int64_t i = 0; i < m.rows; ++i) {
      const T* row = in + i * m.row_stride;
      T best = row[0];
      std::int64_t best_at = 0;
      for (std::int64_t j = 1; j < m.cols && !std::isnan(best); ++j) {
        const T value = row[j * m.col_stride];
        if (value > best || std::isnan(value)) {
          best = value;
          best_at = j;
        }
      }
      v[i] = best;
      idx[i] = best_at;
    }
  });
}

}  // namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS
