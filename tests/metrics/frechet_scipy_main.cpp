// zengen's Fréchet distance against pytorch-fid's formula in Python
// (tests/metrics/frechet_reference.py: numpy's cov, scipy.linalg.sqrtm of
// S1 S2) on the same features: two correlated, shifted feature sets, and a
// set against a copy of itself with a little noise. They agree to 1e-6
// relative. Exit status: 0 ok, 1 mismatch, 77 (skipped) without
// /usr/bin/python3, numpy or scipy.
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <tuple>
#include <vector>

#include "zengen/metrics/metrics.hpp"
#include "zengen/zengen.hpp"

#ifndef ZENGEN_FRECHET_SCRIPT
#error "ZENGEN_FRECHET_SCRIPT must name tests/metrics/frechet_reference.py"
#endif

namespace zg = zengen;

namespace {

constexpr const char* kPython = "/usr/bin/python3";
constexpr int kSkip = 77;
constexpr std::int64_t kDim = 24;

void write_features(const std::filesystem::path& file, const zg::Tensor& features) {
  const std::vector<double> values = features.to_vector<double>();
  std::ofstream out(file, std::ios::binary);
  out.write(reinterpret_cast<const char*>(values.data()), static_cast<std::streamsize>(values.size() * sizeof(double)));
}

// The script's d^2 for two feature files; sets `status` to its exit status.
double reference(const std::filesystem::path& a, const std::filesystem::path& b, int& status) {
  const std::string command = std::string(kPython) + " '" + ZENGEN_FRECHET_SCRIPT + "' '" + a.string() + "' '" +
                              b.string() + "' " + std::to_string(kDim);
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return status = 1, 0.0;
  char line[256] = {};
  const bool read = std::fgets(line, sizeof line, pipe) != nullptr;
  const int raw = pclose(pipe);
  status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 1;
  if (status == 0 && !read) status = 1;
  if (status != 0) std::cout << "script: " << line;
  return status == 0 ? std::stod(line) : 0.0;
}

}  // namespace

int main() {
  if (!std::filesystem::exists(kPython)) {
    std::cout << "skipped: no " << kPython << "\n";
    return kSkip;
  }
  zg::manual_seed(11);
  const auto dir = std::filesystem::temp_directory_path() / ("zengen_frechet_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  // Correlated features: z W with a random mixing W, then a shift and a rescale.
  const zg::Tensor mix = zg::randn({kDim, kDim}, {.dtype = zg::DType::Float64});
  const zg::Tensor a = zg::matmul(zg::randn({600, kDim}, {.dtype = zg::DType::Float64}), mix);
  const zg::Tensor b = zg::matmul(zg::randn({500, kDim}, {.dtype = zg::DType::Float64}), mix * 1.3) + 0.4;
  const zg::Tensor a_noisy = a + zg::randn({600, kDim}, {.dtype = zg::DType::Float64}) * 0.05;

  int failures = 0;
  for (const auto& [name, x, y] : {std::tuple{"shifted, rescaled", a, b}, std::tuple{"noisy copy", a, a_noisy}}) {
    write_features(dir / "x.f64", x);
    write_features(dir / "y.f64", y);
    int status = 0;
    const double expected = reference(dir / "x.f64", dir / "y.f64", status);
    if (status == kSkip) {
      std::filesystem::remove_all(dir);
      return kSkip;
    }
    const double got = zg::metrics::frechet_distance(x, y);
    const double relative = std::abs(got - expected) / std::abs(expected);
    std::printf("%-18s zengen %.12g  scipy %.12g  relative difference %.2e\n", name, got, expected, relative);
    if (status != 0 || !(relative <= 1e-6)) ++failures;
  }
  std::filesystem::remove_all(dir);
  if (failures) std::printf("FAILED: %d of 2 distances differ from the reference by more than 1e-6\n", failures);
  return failures ? 1 : 0;
}
