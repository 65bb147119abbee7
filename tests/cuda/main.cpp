// The CUDA test program's main. Without a usable GPU (or driver) it exits 77,
// which CTest reports as "skipped" (SKIP_RETURN_CODE); with one it runs the
// Catch2 tests of tests/cuda/. With --twin-coverage, a run whose tests all
// passed still fails when an op of ZENGEN_OPS with a CUDA path was compared
// with the CPU nowhere in it (tests/op_registry.hpp, twin_coverage.cpp).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <iostream>
#include <string_view>

#include "core/cuda_module.hpp"  // src/: where libzengen loaded the CUDA module from
#include "op_registry.hpp"         // tests/: the ops compared in this run
#include "runtime.hpp"             // cuda/: no_device_reason
#include "zengen/core/device.hpp"

int main(int argc, char* argv[]) {
  Catch::Session session;
  bool twin_coverage = false;
  session.cli(session.cli() | Catch::clara::Opt(twin_coverage)["--twin-coverage"](
                                  "fail unless every op of ZENGEN_OPS with a CUDA path was compared with the CPU"));
  // Listing needs no device (scripts/gpu-check.sh lists the test cases to
  // run them one by one after a failure).
  for (int i = 1; i < argc; ++i)
    if (std::string_view(argv[i]).starts_with("--list")) return session.run(argc, argv);
  const int devices = zengen::Device::cuda_device_count();
  if (devices == 0) {
    std::cout << "no CUDA device (" << zengen::cuda::no_device_reason() << "): skipping\n";
    return 77;
  }
  std::cout << "CUDA devices: " << devices << " (module: " << zengen::cuda_module::loaded_path() << ")\n";
  // Catch2 returns the number of failed assertions (at most 255): 77 of
  // them must not read as "skipped".
  const int failed = session.run(argc, argv);
  if (failed != 0) return failed == 77 ? 1 : failed;
  if (twin_coverage &&
      zengen::testing::twin_checks().report([](const zengen::ops::OpInfo& op) { return op.cuda; }) != 0)
    return 1;
  return 0;
}
