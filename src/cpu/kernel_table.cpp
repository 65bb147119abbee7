// This ISA level's table of kernels (see cpu/isa.hpp, cpu/kernel_table.hpp).
#include "cpu/kernel_table.hpp"

namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS {

const KernelTable& kernel_table() {
  // static_cast picks the overload of the listed signature.
#define ZENGEN_KERNEL_ENTRY(ret, name, member, params, args) static_cast<ret(*) params>(&name),
  static constexpr KernelTable table{ZENGEN_CPU_KERNELS(ZENGEN_KERNEL_ENTRY)};
#undef ZENGEN_KERNEL_ENTRY
  return table;
}

}  // namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS
