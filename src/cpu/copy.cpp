#include "cpu/copy.hpp"

#include <cstring>

#include "cpu/loops.hpp"

namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS {

void copy(const Tensor& dst, const Tensor& src) {
  if (dst.dtype() == src.dtype() && dst.is_contiguous() && src.is_contiguous() && dst.shape() == src.shape()) {
    const auto bytes = static_cast<std::int64_t>(dst.nbytes());
    char* d = static_cast<char*>(dst.data_ptr());
    const char* s = static_cast<const char*>(src.data_ptr());
    const int threads = threads_for(bytes, std::int64_t{1} << 20);
#pragma omp parallel for num_threads(threads) if (threads > 1)
    for (int t = 0; t < threads; ++t) {
      const std::int64_t begin = bytes * t / threads / 64 * 64;
      const std::int64_t end = t == threads - 1 ? bytes : bytes * (t + 1) / threads / 64 * 64;
      std::memcpy(d + begin, s + begin, static_cast<std::size_t>(end - begin));
    }
    return;
  }
  dispatch_all(dst.dtype(), [&]<typename D>() {
    dispatch_all(src.dtype(), [&]<typename S>() {
      map1<D, S>(dst, [](S v) { return static_cast<D>(v); }, src);
    });
  });
}

void fill(const Tensor& dst, double value) {
  dispatch_all(dst.dtype(), [&]<typename D>() {
    const D v = static_cast<D>(value);
    if (dst.is_contiguous()) {
      D* p = static_cast<D*>(dst.data_ptr());
      const std::int64_t n = dst.numel();
      const int threads = threads_for(n);
#pragma omp parallel for simd num_threads(threads) if (threads > 1)
      for (std::int64_t i = 0; i < n; ++i) p[i] = v;
    } else {
      map1<D, D>(dst, [v](D) { return v; }, dst);
    }
  });
}

}  // namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS
