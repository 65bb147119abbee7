// Internal: the namespace of one ISA level's kernels.
//
// Every file of src/cpu/ is compiled once per ISA level (CMakeLists.txt:
// baseline = x86-64-v2, avx2 = x86-64-v3, avx512 = x86-64-v4), each time
// with ZENGEN_CPU_ISA_NS naming that level, so its functions live in
// zengen::cpu::baseline, zengen::cpu::avx2 or zengen::cpu::avx512. The
// namespace is inline: inside a kernel file `cpu::sgemm` is the same
// level's sgemm, called directly.
//
// Everywhere else ZENGEN_CPU_ISA_NS is `dispatch`: zengen::cpu::dispatch
// holds one forwarding function per kernel (src/cpu/dispatch/dispatch.cpp),
// which calls the kernel of the level chosen once at start-up
// (zengen::cpu_isa(), from cpuid and ZENGEN_CPU_ISA). Types (enums,
// geometries, options) stay in zengen::cpu, shared by every level.
//
// The per-level namespace keeps each level's own inline and template code
// apart from the others'; the inline code of the headers outside src/cpu/
// (Tensor, the standard library, Eigen) is kept apart by linking each level
// as one private object (CMakeLists.txt). tests/isa_audit.sh checks the
// linked programs: no AVX code outside its level.
#pragma once

#ifndef ZENGEN_CPU_ISA_NS
#define ZENGEN_CPU_ISA_NS dispatch
#endif
