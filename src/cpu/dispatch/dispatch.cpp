// The kernels' door for the rest of zengen: zengen::cpu::dispatch::f calls
// f of the ISA level that zengen::cpu_isa() chose (see cpu/isa.hpp).
// Compiled once, for the baseline, like everything outside src/cpu/.
#include "cpu/kernel_table.hpp"
#include "zengen/core/cpu_isa.hpp"

// Each level's table; the levels this build holds are defined by CMake.
namespace zengen::cpu::baseline {
const KernelTable& kernel_table();
}
#ifdef ZENGEN_CPU_ISA_AVX2
namespace zengen::cpu::avx2 {
const KernelTable& kernel_table();
}
#endif
#ifdef ZENGEN_CPU_ISA_AVX512
namespace zengen::cpu::avx512 {
const KernelTable& kernel_table();
}
#endif

namespace zengen::cpu {

namespace {

const KernelTable& table_of(CpuIsa level) {
  switch (level) {
#ifdef ZENGEN_CPU_ISA_AVX512
    case CpuIsa::Avx512: return avx512::kernel_table();
#endif
#ifdef ZENGEN_CPU_ISA_AVX2
    case CpuIsa::Avx2: return avx2::kernel_table();
#endif
    default: return baseline::kernel_table();
  }
}

const KernelTable& active() {
  static const KernelTable& table = table_of(cpu_isa());
  return table;
}

}  // namespace

}  // namespace zengen::cpu

namespace zengen::cpu::dispatch {

#define ZENGEN_KERNEL_FORWARD(ret, name, member, params, args) \
  ret name params { return active().member args; }
ZENGEN_CPU_KERNELS(ZENGEN_KERNEL_FORWARD)
#undef ZENGEN_KERNEL_FORWARD

}  // namespace zengen::cpu::dispatch
