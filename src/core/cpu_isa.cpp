#include "zengen/core/cpu_isa.hpp"

#include <cctype>
#include <cstdlib>
#include <string>

#include "zengen/core/error.hpp"

namespace zengen {

namespace {

// Levels this build compiled kernels for (CMakeLists.txt defines them).
constexpr bool compiled(CpuIsa level) {
  switch (level) {
    case CpuIsa::Baseline: return true;
#ifdef ZENGEN_CPU_ISA_AVX2
    case CpuIsa::Avx2: return true;
#endif
#ifdef ZENGEN_CPU_ISA_AVX512
    case CpuIsa::Avx512: return true;
#endif
    default: return false;
  }
}

bool cpu_has(CpuIsa level) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  // libgcc's checks include the OS's support for the wider registers (XGETBV).
  switch (level) {
    case CpuIsa::Baseline: return true;
    case CpuIsa::Avx2: return __builtin_cpu_supports("x86-64-v3") != 0;
    case CpuIsa::Avx512: return __builtin_cpu_supports("x86-64-v4") != 0;
  }
  return false;
#else
  return level == CpuIsa::Baseline;
#endif
}

CpuIsa choose() {
  const CpuIsa best = cpu_isa_best();
  const char* forced = std::getenv("ZENGEN_CPU_ISA");
  if (forced == nullptr || *forced == '\0') return best;
  const std::optional<CpuIsa> named = cpu_isa_from_name(forced);
  ZENGEN_CHECK(named.has_value(), ValueError, "ZENGEN_CPU_ISA=", forced, ": expected baseline, avx2 or avx512");
  const CpuIsa level = *named;
  ZENGEN_CHECK(cpu_isa_supported(level), ValueError, "ZENGEN_CPU_ISA=", forced, " asks for ", cpu_isa_name(level),
               " kernels (", cpu_isa_requirements(level), "), but ",
               compiled(level) ? "this CPU lacks them" : "this build of zengen has none",
               "; the best level here is ", cpu_isa_name(best));
  return level;
}

}  // namespace

std::string_view cpu_isa_name(CpuIsa level) {
  switch (level) {
    case CpuIsa::Baseline: return "baseline";
    case CpuIsa::Avx2: return "avx2";
    case CpuIsa::Avx512: return "avx512";
  }
  return "?";
}

std::optional<CpuIsa> cpu_isa_from_name(std::string_view name) {
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (CpuIsa level : {CpuIsa::Baseline, CpuIsa::Avx2, CpuIsa::Avx512})
    if (lower == cpu_isa_name(level)) return level;
  return std::nullopt;
}

std::string_view cpu_isa_requirements(CpuIsa level) {
  switch (level) {
    case CpuIsa::Baseline: return "x86-64-v2: SSE4.2, SSSE3, POPCNT, CX16";
    case CpuIsa::Avx2: return "x86-64-v3: AVX2, FMA, BMI1/2, F16C, LZCNT, MOVBE";
    case CpuIsa::Avx512: return "x86-64-v4: AVX-512 F/BW/CD/DQ/VL";
  }
  return "?";
}

bool cpu_isa_supported(CpuIsa level) { return compiled(level) && cpu_has(level); }

CpuIsa cpu_isa_best() {
  static const CpuIsa best = [] {
    for (CpuIsa level : {CpuIsa::Avx512, CpuIsa::Avx2})
      if (cpu_isa_supported(level)) return level;
    return CpuIsa::Baseline;
  }();
  return best;
}

CpuIsa cpu_isa() {
  static const CpuIsa level = choose();  // a throw leaves it unset: the next call says the same
  return level;
}

}  // namespace zengen
