// Catch2's main, compiled once for the whole test program.
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
  const int failures = Catch::Session().run(argc, argv);
  return failures == 0 ? 0 : 1;  // a count of exactly 77 must not read as "skipped"
}
