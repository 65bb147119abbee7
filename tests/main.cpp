// Catch2's main, compiled once for the whole test program.
//
// With --op-coverage, a run whose tests all passed still fails when a
// differentiable op of ZENGEN_OPS passed no gradcheck in it (CTest runs it
// over the [gradcheck] tests; tests/op_registry.hpp).
//
// With ZENGEN_CPU_ISA naming a level this CPU (or build) lacks, the program
// runs no test and exits 77, which CTest reports as skipped: the suite
// registers one whole run per ISA level (tests/CMakeLists.txt).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "op_registry.hpp"
#include "zengen/core/cpu_isa.hpp"
#include "zengen/core/error.hpp"

int main(int argc, char* argv[]) {
  if (const char* forced = std::getenv("ZENGEN_CPU_ISA"); forced != nullptr && *forced != '\0') {
    const std::optional<zengen::CpuIsa> level = zengen::cpu_isa_from_name(forced);
    if (level && !zengen::cpu_isa_supported(*level)) {
      std::printf("ZENGEN_CPU_ISA=%s: this CPU lacks %s kernels (%s): skipping\n", forced, forced,
                  std::string(zengen::cpu_isa_requirements(*level)).c_str());
      return 77;
    }
  }
  try {
    std::fprintf(stderr, "zengen CPU kernels: %s\n", std::string(zengen::cpu_isa_name(zengen::cpu_isa())).c_str());
  } catch (const zengen::Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  // --op-coverage: after the run, every differentiable op of ZENGEN_OPS
  // must have passed a gradcheck in it (tests/op_registry.hpp).
  Catch::Session session;
  bool op_coverage = false;
  session.cli(session.cli() | Catch::clara::Opt(op_coverage)["--op-coverage"](
                                  "fail unless every differentiable op of ZENGEN_OPS passed a gradcheck in this run"));
  if (const int bad_command_line = session.applyCommandLine(argc, argv); bad_command_line != 0) return 1;
  const int failures = session.run();
  if (failures != 0) return 1;  // a count of exactly 77 must not read as "skipped"
  if (op_coverage && zengen::testing::gradchecks().report([](const zengen::ops::OpInfo& op) {
        return op.differentiable;
      }) != 0)
    return 1;
  return 0;
}
