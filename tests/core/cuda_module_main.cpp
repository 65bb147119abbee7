// The CUDA backend is a module that libzengen loads on the first CUDA
// request (src/core/cuda_module.cpp). One process per mode, since the first
// request decides for the whole process:
//
//   cpu-only        a CPU-only program: after a tiny CPU op no CUDA library is
//                   mapped and the resident memory is under 30 MiB;
//   no-device       the module is there (a CUDA build) but no GPU: best() is the
//                   CPU, device_count() is 0, cuda:0 is a DeviceError saying why
//                   (exit 77 in a build without CUDA, or with a GPU present);
//   missing-module  ZENGEN_CUDA_LIBRARY names a missing file: a CUDA request's
//                   DeviceError names that path; best() is the CPU;
//   foreign-module  ZENGEN_CUDA_LIBRARY names a library that is no zengen module.
#include <zengen/zengen.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>

namespace zg = zengen;

namespace {

int failures = 0;
void check(bool ok, const std::string& what) {
  std::cout << (ok ? "ok:     " : "FAILED: ") << what << "\n";
  if (!ok) ++failures;
}

/// VmRSS of this process in KiB (/proc/self/status).
long rss_kib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

/// The mapped files of this process whose name contains one of the CUDA
/// libraries' names (or the module's), one per line.
std::string cuda_libraries_mapped() {
  std::ifstream maps("/proc/self/maps");
  std::string found;
  for (std::string line; std::getline(maps, line);) {
    const std::size_t slash = line.find('/');
    if (slash == std::string::npos) continue;
    const std::string file = line.substr(slash);
    for (const char* name : {"libcudart", "libcublas", "libcudnn", "libcuda.so", "libzengen_cuda"})
      if (file.find(name) != std::string::npos && found.find(file) == std::string::npos) found += file + "\n";
  }
  return found;
}

/// The DeviceError message of `f`, or "" when it throws none.
template <typename F>
std::string device_error(F&& f) {
  try {
    f();
  } catch (const zg::DeviceError& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

int cpu_only() {
  const zg::Tensor x = zg::ones({4}) * 2.0;
  const float sum = x.sum().item<float>();
  const long rss = rss_kib();
  std::cout << "VmRSS after a tiny CPU op: " << rss << " KiB\n";
  check(sum == 8.0f, "the CPU op gives 8");
  check(rss > 0 && rss < 30 * 1024, "resident memory under 30 MiB");
  const std::string mapped = cuda_libraries_mapped();
  check(mapped.empty(), "no CUDA library mapped" + (mapped.empty() ? std::string() : ":\n" + mapped));
  return failures ? 1 : 0;
}

int no_device() {
#ifndef ZENGEN_WITH_CUDA
  std::cout << "this build has no CUDA module: skipping\n";
  return 77;
#else
  const int count = zg::Device::cuda_device_count();
  if (count > 0) {
    std::cout << count << " CUDA device(s) present: covered by tests/cuda, skipping\n";
    return 77;
  }
  check(zg::Device::cuda_built(), "the module loads: " + zg::Device::cuda_unavailable_reason());
  std::cout << "loaded:\n" << cuda_libraries_mapped();
  check(contains(cuda_libraries_mapped(), "libzengen_cuda.so"), "libzengen_cuda.so is mapped");
  check(zg::Device::best() == zg::Device::cpu(), "Device::best() is the CPU");
  check(count == 0, "device_count() is 0");
  const std::string reason = zg::Device::cuda_unavailable_reason();
  std::cout << "why: " << reason << "\n";
  check(!reason.empty(), "cuda_unavailable_reason() says why");
  const std::string m = device_error([] { (void)zg::ones({2}).to(zg::Device::cuda(0)); });
  std::cout << "to(cuda:0): " << m << "\n";
  check(contains(m, "to(cuda:0)") && contains(m, "no CUDA device is present") && contains(m, reason),
        "to(cuda:0) is a DeviceError with the reason");
  check(!device_error([] { zg::synchronize(zg::Device::cuda(0)); }).empty(), "synchronize(cuda:0) is a DeviceError");
  return failures ? 1 : 0;
#endif
}

int bad_module(std::string_view expect) {
  const char* env = std::getenv("ZENGEN_CUDA_LIBRARY");
  if (env == nullptr || *env == '\0') {
    std::cerr << "set ZENGEN_CUDA_LIBRARY\n";
    return 2;
  }
  const std::string path = env;
  check(zg::Device::best() == zg::Device::cpu(), "Device::best() is the CPU, not an error");
  check(zg::Device::cuda_device_count() == 0, "device_count() is 0");
  check(!zg::Device::cuda_built(), "cuda_built() is false");
  const std::string to = device_error([] { (void)zg::ones({2}).to(zg::Device::cuda(0)); });
  std::cout << "to(cuda:0): " << to << "\n";
  check(contains(to, "ZENGEN_CUDA_LIBRARY=" + path) && contains(to, expect),
        "to(cuda:0)'s DeviceError names " + path + " and says '" + std::string(expect) + "'");
  const std::string alloc = device_error([] { (void)zg::zeros({2}, {.device = zg::Device::cuda(0)}); });
  std::cout << "zeros on cuda:0: " << alloc << "\n";
  check(contains(alloc, path), "allocating on cuda:0 is a DeviceError naming the path");
  const std::string mapped = cuda_libraries_mapped();
  check(mapped.empty(), "no CUDA library mapped" + (mapped.empty() ? std::string() : ":\n" + mapped));
  return failures ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string_view mode = argc > 1 ? argv[1] : "";
  try {
    if (mode == "cpu-only") return cpu_only();
    if (mode == "no-device") return no_device();
    if (mode == "missing-module") return bad_module("No such file");
    if (mode == "foreign-module") return bad_module("zengen_cuda_backend_v1");
  } catch (const std::exception& e) {
    std::cerr << "unexpected error: " << e.what() << "\n";
    return 1;
  }
  std::cerr << "usage: " << argv[0] << " cpu-only|no-device|missing-module|foreign-module\n";
  return 2;
}
