// Helpers of the CUDA tests: CPU/GPU comparison and sentinel-filled outputs.
// A comparison that passes counts for the ops claimed in its scope with
// ZENGEN_TWIN_CHECKED (tests/op_registry.hpp, tests/cuda/twin_coverage.cpp).
#pragma once

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "op_registry.hpp"
#include "zengen/zengen.hpp"

namespace zengen::cuda_testing {

inline const Device kGpu = Device::cuda(0);

/// Random float32 values in [-2, 2) on the CPU.
inline Tensor randf(const Shape& shape) { return (rand(shape) * 4.0 - 2.0).detach(); }

/// Leaves the device allocator holding freed blocks full of NaN for
/// `numel` elements of `dtype`, so that the next tensor of that size class
/// starts as NaN: an element a kernel forgets to write shows up as NaN.
inline void poison(std::int64_t numel, DType dtype = DType::Float32) {
  for (int i = 0; i < 3; ++i) {
    Tensor t = full({numel}, std::numeric_limits<double>::quiet_NaN(), {.dtype = dtype, .device = kGpu});
    (void)t;
  }
}

/// gpu (moved to the CPU) equals cpu within rel_tol * (1 + |cpu|)
/// element-wise, NaN only where cpu has NaN.
inline void require_match(const Tensor& cpu, const Tensor& gpu, double rel_tol = 1e-4) {
  REQUIRE(gpu.device() == kGpu);
  REQUIRE(gpu.shape() == cpu.shape());
  REQUIRE(gpu.dtype() == cpu.dtype());
  const std::vector<double> want = cpu.to_vector<double>(), got = gpu.to_vector<double>();
  std::size_t bad = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    // Equal infinities match (their difference is NaN).
    const bool ok = std::isnan(want[i]) ? std::isnan(got[i])
                                        : got[i] == want[i] ||
                                              std::abs(got[i] - want[i]) <= rel_tol * (1.0 + std::abs(want[i]));
    if (!ok && bad++ < 5) {
      INFO("element " << i << ": gpu " << got[i] << ", cpu " << want[i]);
      CHECK(ok);
    }
  }
  INFO(bad << " of " << want.size() << " elements differ (shape " << cpu.shape() << ")");
  REQUIRE(bad == 0);
  testing::twin_checks().passed();
}

}  // namespace zengen::cuda_testing
