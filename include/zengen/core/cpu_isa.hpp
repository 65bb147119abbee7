// The instruction-set level zengen's CPU kernels run at.
//
// zengen is compiled for a portable baseline (x86-64-v2: SSE4.2, POPCNT),
// and its CPU kernels once more per level: avx2 (x86-64-v3: AVX2, FMA,
// BMI2) and avx512 (x86-64-v4: AVX-512 F/BW/CD/DQ/VL). The first kernel call
// picks the best level this CPU has (cpuid), or the level that the
// environment variable ZENGEN_CPU_ISA names (baseline, avx2 or avx512) when
// that is lower, as ATEN_CPU_CAPABILITY and DNNL_MAX_CPU_ISA do: for
// valgrind (which has no AVX-512) and for comparing the levels' results.
#pragma once

#include <optional>
#include <string_view>

namespace zengen {

enum class CpuIsa { Baseline, Avx2, Avx512 };

/// The level the CPU kernels run at, chosen once. Throws ValueError when
/// ZENGEN_CPU_ISA names no level, or a level this CPU (or this build) lacks.
CpuIsa cpu_isa();
/// The best level this CPU supports and this build holds.
CpuIsa cpu_isa_best();
/// Whether kernels of `level` can run here.
bool cpu_isa_supported(CpuIsa level);
/// "baseline", "avx2" or "avx512".
std::string_view cpu_isa_name(CpuIsa level);
/// The level of such a name (any case), or nothing.
std::optional<CpuIsa> cpu_isa_from_name(std::string_view name);
/// What a level needs, e.g. "x86-64-v3: AVX2, FMA, BMI1/2, F16C, LZCNT, MOVBE".
std::string_view cpu_isa_requirements(CpuIsa level);

}  // namespace zengen
