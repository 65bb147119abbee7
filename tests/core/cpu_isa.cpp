// zengen::cpu_isa and its names (the ZENGEN_CPU_ISA errors are CTest tests
// of their own: the level is chosen once per process).
#include "helpers.hpp"

using namespace zengen;

TEST_CASE("cpu isa: names round-trip, in any case, and unknown names give nothing", "[core][isa]") {
  for (CpuIsa level : {CpuIsa::Baseline, CpuIsa::Avx2, CpuIsa::Avx512}) {
    REQUIRE(cpu_isa_from_name(cpu_isa_name(level)) == level);
    REQUIRE_FALSE(cpu_isa_requirements(level).empty());
  }
  REQUIRE(cpu_isa_from_name("AVX512") == CpuIsa::Avx512);
  REQUIRE(cpu_isa_from_name("Baseline") == CpuIsa::Baseline);
  REQUIRE_FALSE(cpu_isa_from_name("avx").has_value());
  REQUIRE_FALSE(cpu_isa_from_name("").has_value());
}

TEST_CASE("cpu isa: the running level is supported and at most the best one", "[core][isa]") {
  REQUIRE(cpu_isa_supported(CpuIsa::Baseline));
  REQUIRE(cpu_isa_supported(cpu_isa_best()));
  REQUIRE(cpu_isa_supported(cpu_isa()));
  REQUIRE(static_cast<int>(cpu_isa()) <= static_cast<int>(cpu_isa_best()));
  // Every level up to the best one runs here (the levels are nested).
  for (int l = 0; l <= static_cast<int>(cpu_isa_best()); ++l) REQUIRE(cpu_isa_supported(static_cast<CpuIsa>(l)));
}
