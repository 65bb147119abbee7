// cpu::sgemm (src/cpu/gemm.cpp) against a plain triple loop in double: odd
// sizes that leave edge tiles on every side (1, 7, 17, 63, 65, 257), sizes
// past one cache block in each dimension, transposed and strided operands,
// alpha/beta accumulation, 1 and 2 threads, and every micro-kernel this CPU
// can run (the AVX-512 one only where the CPU has AVX-512F).
#include <omp.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "cpu/gemm.hpp"
#include "helpers.hpp"

using namespace zengen;

namespace {

// One operand stored with room for a layout: row-major, transposed
// (column-major), or every other column of a wider row-major matrix.
enum class Layout { RowMajor, Transposed, Strided };

struct Operand {
  std::vector<float> storage;
  cpu::ConstMatrixF view;
  std::int64_t rows, cols;
  float at(std::int64_t r, std::int64_t c) const { return view.data[r * view.row_stride + c * view.col_stride]; }
};

Operand make_operand(std::int64_t rows, std::int64_t cols, Layout layout, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  Operand op{{}, {nullptr, 0, 0}, rows, cols};
  switch (layout) {
    case Layout::RowMajor:
      op.storage.resize(static_cast<std::size_t>(rows * cols));
      op.view = {nullptr, cols, 1};
      break;
    case Layout::Transposed:
      op.storage.resize(static_cast<std::size_t>(rows * cols));
      op.view = {nullptr, 1, rows};
      break;
    case Layout::Strided:
      op.storage.resize(static_cast<std::size_t>(rows * (2 * cols + 1)));
      op.view = {nullptr, 2 * cols + 1, 2};
      break;
  }
  for (float& v : op.storage) v = dist(rng);
  op.view.data = op.storage.data();
  return op;
}

const char* layout_name(Layout l) {
  return l == Layout::RowMajor ? "row-major" : l == Layout::Transposed ? "transposed" : "strided";
}

struct Case {
  std::int64_t m, n, k;
};

// The entry point a product goes through: sgemm; A packed once
// (pack_matrix_a) with B strided or written by a panel packer
// (sgemm_prepacked); A strided with B from a panel packer (sgemm_panels).
enum class Route { Sgemm, PrepackedA, PrepackedAPanels, Panels };

const char* route_name(Route r) {
  switch (r) {
    case Route::Sgemm: return "sgemm";
    case Route::PrepackedA: return "sgemm_prepacked (strided B)";
    case Route::PrepackedAPanels: return "sgemm_prepacked (B panels)";
    case Route::Panels: return "sgemm_panels";
  }
  return "?";
}

// B's panels as the PanelPacker contract asks, read from the operand.
struct OperandPanels {
  const Operand* b;
  void operator()(std::int64_t k0, std::int64_t kc, std::int64_t j0, std::int64_t nc, int nr, float* dst) const {
    for (std::int64_t jr = 0; jr < nc; jr += nr, dst += nr * kc)
      for (std::int64_t p = 0; p < kc; ++p)
        for (int t = 0; t < nr; ++t) dst[p * nr + t] = jr + t < nc ? b->at(k0 + p, j0 + jr + t) : 0.0f;
  }
};

// Runs one product through sgemm and the reference loop and compares every
// element with a bound scaled by the sum of |terms| it adds up.
void check_product(cpu::GemmKernel kernel, Case s, Layout la, Layout lb, float alpha, float beta, int threads,
                   std::mt19937& rng, Route route = Route::Sgemm) {
  const Operand a = make_operand(s.m, s.k, la, rng), b = make_operand(s.k, s.n, lb, rng);
  const std::int64_t ldc = s.n + 3;  // a leading dimension wider than the row
  std::vector<float> c(static_cast<std::size_t>(s.m * ldc));
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (float& v : c) v = beta == 0.0f ? std::numeric_limits<float>::quiet_NaN() : dist(rng);
  const std::vector<float> c0 = c;

  OperandPanels panels{&b};
  cpu::PackedMatrixA packed;
  switch (route) {
    case Route::Sgemm:
      cpu::sgemm(s.m, s.n, s.k, alpha, a.view, b.view, beta, c.data(), ldc, {.threads = threads, .kernel = kernel});
      break;
    case Route::PrepackedA:
    case Route::PrepackedAPanels:
      REQUIRE(alpha == 1.0f);
      cpu::pack_matrix_a(packed, s.m, s.k, a.view, kernel, threads);
      REQUIRE(packed.rows() == s.m);
      REQUIRE(packed.depth() == s.k);
      if (route == Route::PrepackedA) cpu::sgemm_prepacked(packed, s.n, b.view, beta, c.data(), ldc);
      else cpu::sgemm_prepacked(packed, s.n, panels, beta, c.data(), ldc);
      break;
    case Route::Panels:
      REQUIRE(alpha == 1.0f);
      cpu::sgemm_panels(s.m, s.n, s.k, a.view, panels, beta, c.data(), ldc, kernel);
      break;
  }

  INFO(route_name(route) << ", kernel " << cpu::gemm_kernel_name(kernel) << ", m " << s.m << " n " << s.n << " k " << s.k << ", A "
                 << layout_name(la) << ", B " << layout_name(lb) << ", alpha " << alpha << " beta " << beta
                 << ", threads " << threads);
  std::int64_t bad = 0;
  for (std::int64_t i = 0; i < s.m; ++i)
    for (std::int64_t j = 0; j < s.n; ++j) {
      double acc = 0, mag = 0;
      for (std::int64_t p = 0; p < s.k; ++p) {
        const double t = static_cast<double>(a.at(i, p)) * static_cast<double>(b.at(p, j));
        acc += t;
        mag += std::abs(t);
      }
      // (beta == 0: C held NaN, which must not reach the result)
      const double cij = beta == 0.0f ? 0.0 : c0[static_cast<std::size_t>(i * ldc + j)];
      const double expected = alpha * acc + beta * cij;
      const double bound = 1e-5 * (std::abs(alpha) * mag + std::abs(beta) * std::abs(cij)) + 1e-6;
      const double got = c[static_cast<std::size_t>(i * ldc + j)];
      if (!(std::abs(got - expected) <= bound) && bad++ < 3)
        FAIL_CHECK("C[" << i << ", " << j << "] = " << got << ", expected " << expected);
    }
  REQUIRE(bad == 0);
  // The padding past each row of C is never written.
  for (std::int64_t i = 0; i < s.m; ++i)
    for (std::int64_t j = s.n; j < ldc; ++j) {
      const float before = c0[static_cast<std::size_t>(i * ldc + j)], after = c[static_cast<std::size_t>(i * ldc + j)];
      REQUIRE((after == before || (std::isnan(after) && std::isnan(before))));
    }
}

std::vector<cpu::GemmKernel> kernels_here() {
  std::vector<cpu::GemmKernel> kernels;
  for (auto k : {cpu::GemmKernel::Avx2, cpu::GemmKernel::Avx512, cpu::GemmKernel::Eigen})
    if (cpu::gemm_kernel_available(k)) kernels.push_back(k);
  return kernels;
}

}  // namespace

TEST_CASE("gemm: the micro-kernels this CPU runs", "[gemm]") {
  // Say which kernels the other test cases cover on this machine.
  for (auto k : {cpu::GemmKernel::Avx2, cpu::GemmKernel::Avx512})
    if (!cpu::gemm_kernel_available(k)) WARN("sgemm: this CPU cannot run the " << cpu::gemm_kernel_name(k) << " kernel; not tested here");
  CHECK(cpu::gemm_kernel_available(cpu::gemm_best_kernel()));
  CHECK(cpu::gemm_kernel_available(cpu::GemmKernel::Eigen));
}

TEST_CASE("gemm: odd sizes against the triple loop", "[gemm]") {
  std::mt19937 rng(1);
  const std::int64_t sizes[] = {1, 7, 17, 63, 65};
  for (auto kernel : kernels_here())
    for (std::int64_t m : sizes)
      for (std::int64_t n : sizes)
        for (std::int64_t k : {std::int64_t{1}, std::int64_t{17}, std::int64_t{65}})
          check_product(kernel, {m, n, k}, Layout::RowMajor, Layout::RowMajor, 1.0f, 0.0f, 1, rng);
}

TEST_CASE("gemm: transposed and strided operands, alpha and beta", "[gemm]") {
  std::mt19937 rng(2);
  const Layout layouts[] = {Layout::RowMajor, Layout::Transposed, Layout::Strided};
  struct Scale {
    float alpha, beta;
  };
  for (auto kernel : kernels_here())
    for (Layout la : layouts)
      for (Layout lb : layouts)
        for (Scale sc : {Scale{1.0f, 0.0f}, Scale{0.75f, 1.0f}, Scale{-1.5f, -0.5f}})
          check_product(kernel, {17, 63, 65}, la, lb, sc.alpha, sc.beta, 1, rng);
}

TEST_CASE("gemm: sizes past one cache block in every dimension, threaded", "[gemm]") {
  std::mt19937 rng(3);
  // 257 rows (MC = 144), k 520 (KC = 256: three slices, beta applied once),
  // and n 4100 (NC = 4080/4096: two column blocks).
  for (auto kernel : kernels_here())
    for (int threads : {1, 2}) {
      check_product(kernel, {257, 65, 520}, Layout::RowMajor, Layout::RowMajor, 1.0f, 0.5f, threads, rng);
      check_product(kernel, {7, 4100, 33}, Layout::Transposed, Layout::RowMajor, 1.0f, 0.0f, threads, rng);
      check_product(kernel, {257, 257, 257}, Layout::RowMajor, Layout::Transposed, 2.0f, 1.0f, threads, rng);
      check_product(kernel, {1, 257, 300}, Layout::RowMajor, Layout::Strided, 1.0f, 0.0f, threads, rng);
    }
}

TEST_CASE("gemm: k = 0 and alpha = 0 scale C by beta only", "[gemm]") {
  for (auto kernel : kernels_here()) {
    std::vector<float> c = {1, 2, 3, 4};
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const std::vector<float> a = {nan, nan}, b = {nan, nan};
    cpu::sgemm(2, 2, 0, 1.0f, {a.data(), 1, 1}, {b.data(), 1, 1}, 0.5f, c.data(), 2, {.kernel = kernel});
    CHECK(c == std::vector<float>{0.5f, 1.0f, 1.5f, 2.0f});
    cpu::sgemm(2, 2, 1, 0.0f, {a.data(), 1, 1}, {b.data(), 2, 1}, 0.0f, c.data(), 2, {.kernel = kernel});
    CHECK(c == std::vector<float>{0, 0, 0, 0});
  }
}

TEST_CASE("gemm: A packed once, and B written panel by panel by the caller", "[gemm]") {
  std::mt19937 rng(4);
  const Layout layouts[] = {Layout::RowMajor, Layout::Transposed, Layout::Strided};
  for (auto kernel : kernels_here()) {
    if (cpu::gemm_packed_kernel(kernel) == cpu::GemmKernel::Eigen) continue;  // sgemm only
    REQUIRE(cpu::gemm_panel_width(kernel) > 0);
    for (Route route : {Route::PrepackedA, Route::PrepackedAPanels, Route::Panels}) {
      for (Layout la : layouts)
        check_product(kernel, {17, 63, 65}, la, Layout::Transposed, 1.0f, 0.0f, 1, rng, route);
      // Edge tiles, several k slices (beta applied once), two column blocks;
      // the packing split over 2 threads.
      for (int threads : {1, 2}) {
        check_product(kernel, {257, 65, 520}, Layout::RowMajor, Layout::RowMajor, 1.0f, 0.5f, threads, rng, route);
        check_product(kernel, {7, 4100, 33}, Layout::Transposed, Layout::RowMajor, 1.0f, 0.0f, threads, rng, route);
        check_product(kernel, {1, 1, 1}, Layout::Strided, Layout::Strided, 1.0f, -1.0f, threads, rng, route);
      }
    }
  }
  // Without a packed kernel the caller must take sgemm.
  CHECK(cpu::gemm_packed_kernel(cpu::GemmKernel::Eigen) == cpu::GemmKernel::Eigen);
  CHECK(cpu::gemm_panel_width(cpu::GemmKernel::Eigen) == 0);
  cpu::PackedMatrixA packed;
  const std::vector<float> a(4, 1.0f);
  CHECK_THROWS_WITH(cpu::pack_matrix_a(packed, 2, 2, {a.data(), 2, 1}, cpu::GemmKernel::Eigen),
                    Catch::Matchers::Contains("no packed GEMM kernel"));
}
