#include "cpu/index.hpp"

#include <omp.h>

#include <cstring>

#include "cpu/loops.hpp"

namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS {

void index_select(const Tensor& out, const Tensor& x, std::int64_t dim, const std::vector<std::int64_t>& idx) {
  const DimSplit s = split_at_dim(x.shape(), dim);
  const auto n = static_cast<std::int64_t>(idx.size());
  const std::size_t row_bytes = static_cast<std::size_t>(s.inner) * element_size(x.dtype());
  const auto* src = static_cast<const unsigned char*>(x.data_ptr());
  auto* dst = static_cast<unsigned char*>(out.data_ptr());
  const std::int64_t rows = s.outer * n;
  const int threads = threads_for(rows * s.inner);
#pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static)
  for (std::int64_t r = 0; r < rows; ++r) {
    const std::int64_t o = r / n, i = r % n;
    std::memcpy(dst + static_cast<std::size_t>(r) * row_bytes,
                src + static_cast<std::size_t>(o * s.size + idx[static_cast<std::size_t>(i)]) * row_bytes, row_bytes);
  }
}

void index_add_(const Tensor& out, std::int64_t dim, const std::vector<std::int64_t>& idx, const Tensor& source) {
  const DimSplit s = split_at_dim(out.shape(), dim);
  const auto n = static_cast<std::int64_t>(idx.size());
  dispatch_floating(out.dtype(), "index_add", [&]<typename T>() {
    T* dst = out.data<T>();
    const T* src = source.data<T>();
    // Work items: (outer, block of the inner dim); each walks the indices in
    // order, so repeated indices add up in the same order on any thread count.
    constexpr std::int64_t kBlock = 1024;
    const std::int64_t blocks = (s.inner + kBlock - 1) / kBlock, items = s.outer * blocks;
    const int threads = static_cast<int>(std::min<std::int64_t>(threads_for(s.outer * n * s.inner), items));
#pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static)
    for (std::int64_t item = 0; item < items; ++item) {
      const std::int64_t o = item / blocks, j0 = item % blocks * kBlock, j1 = std::min(s.inner, j0 + kBlock);
      for (std::int64_t i = 0; i < n; ++i) {
        T* __restrict d = dst + (o * s.size + idx[static_cast<std::size_t>(i)]) * s.inner;
        const T* __restrict a = src + (o * n + i) * s.inner;
#pragma omp simd
        for (std::int64_t j = j0; j < j1; ++j) d[j] += a[j];
      }
    }
  });
}

}  // namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS
