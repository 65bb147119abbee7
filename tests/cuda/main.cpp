// The CUDA test program's main. Without a usable GPU (or driver) it exits 77,
// which CTest reports as "skipped" (SKIP_RETURN_CODE); with one it runs the
// Catch2 tests of tests/cuda/.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <iostream>
#include <string_view>

#include "core/cuda_module.hpp"  // src/: where libzengen loaded the CUDA module from
#include "runtime.hpp"             // cuda/: no_device_reason
#include "zengen/core/device.hpp"

int main(int argc, char* argv[]) {
  // Listing needs no device (scripts/gpu-check.sh lists the test cases to
  // run them one by one after a failure).
  for (int i = 1; i < argc; ++i)
    if (std::string_view(argv[i]).starts_with("--list")) return Catch::Session().run(argc, argv);
  const int devices = zengen::Device::cuda_device_count();
  if (devices == 0) {
    std::cout << "no CUDA device (" << zengen::cuda::no_device_reason() << "): skipping\n";
    return 77;
  }
  std::cout << "CUDA devices: " << devices << " (module: " << zengen::cuda_module::loaded_path() << ")\n";
  // Catch2 returns the number of failed assertions (at most 255): 77 of
  // them must not read as "skipped".
  const int failed = Catch::Session().run(argc, argv);
  return failed == 77 ? 1 : failed;
}
