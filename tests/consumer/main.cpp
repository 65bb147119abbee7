// A downstream program: builds a tensor, runs a backward pass and checks the
// gradient. It only uses the public API, through the installed package
// (find_package) or through add_subdirectory.
//
// f(x) = sum(x * x + x)  =>  df/dx = 2x + 1
//
// A CPU-only program carries no CUDA: right after a tiny CPU op no CUDA
// library is mapped (the CUDA backend is a module loaded on the first CUDA
// request) and the resident memory is under 30 MiB. (run.cmake checks its
// NEEDED entries.)
#include <zengen/zengen.hpp>

#include <cmath>
#include <exception>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace {
/// VmRSS of this process in KiB.
long rss_kib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}
/// The first mapped file that is a CUDA library or zengen's CUDA module ("" if none).
std::string cuda_library_mapped() {
  std::ifstream maps("/proc/self/maps");
  for (std::string line; std::getline(maps, line);)
    for (const char* name : {"libcudart", "libcublas", "libcudnn", "libcuda.so", "libzengen_cuda"})
      if (line.find(name) != std::string::npos) return line.substr(line.find('/'));
  return "";
}
}  // namespace

int main() {
  namespace zg = zengen;
  try {
    const float two = (zg::ones({2}) * 1.0).sum().item<float>();  // a tiny CPU op first
    const long rss = rss_kib();
    const std::string cuda = cuda_library_mapped();
    std::cout << "after a tiny CPU op (" << two << "): VmRSS " << rss << " KiB, CUDA libraries mapped: "
              << (cuda.empty() ? "none" : cuda) << "\n";
    if (!cuda.empty()) {
      std::cerr << "a CPU-only program mapped " << cuda << "\n";
      return 1;
    }
    if (rss < 0 || rss >= 30 * 1024) {
      std::cerr << "resident memory after start is " << rss << " KiB, not under 30 MiB\n";
      return 1;
    }

    auto x = zg::tensor({1.0, 2.0, 3.0}, {.dtype = zg::DType::Float64});
    x.requires_grad_();
    auto f = (x * x + x).sum();
    f.backward();

    const std::vector<double> grad = x.grad().to_vector<double>();
    const std::vector<double> expected = {3.0, 5.0, 7.0};
    std::cout << "zengen " << ZENGEN_VERSION_STRING << ": f = " << f.item<double>()
              << ", df/dx = " << x.grad() << "\n";
    if (grad.size() != expected.size()) {
      std::cerr << "wrong gradient size " << grad.size() << "\n";
      return 1;
    }
    for (std::size_t i = 0; i < grad.size(); ++i)
      if (std::abs(grad[i] - expected[i]) > 1e-12) {
        std::cerr << "wrong gradient at " << i << ": " << grad[i] << " (expected " << expected[i] << ")\n";
        return 1;
      }
    std::cout << "gradient ok\n";

    // The per-ISA kernels linked into libzengen (run.cmake runs this at the
    // best level and at ZENGEN_CPU_ISA=baseline): an SGEMM against a plain
    // loop in double (float32 rounding over k = 53 terms stays far below 1e-3).
    constexpr long m = 37, k = 53, n = 29;
    auto a = zg::randn({m, k});
    auto b = zg::randn({k, n});
    const std::vector<float> product = zg::matmul(a, b).to_vector<float>();
    const std::vector<float> av = a.to_vector<float>(), bv = b.to_vector<float>();
    for (long i = 0; i < m; ++i)
      for (long j = 0; j < n; ++j) {
        double reference = 0;
        for (long p = 0; p < k; ++p) reference += double(av[i * k + p]) * bv[p * n + j];
        if (std::abs(product[i * n + j] - reference) > 1e-3) {
          std::cerr << "matmul at (" << i << ", " << j << "): " << product[i * n + j] << ", expected "
                    << reference << "\n";
          return 1;
        }
      }
    std::cout << "matmul ok with the " << zg::cpu_isa_name(zg::cpu_isa()) << " CPU kernels\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
