// Linked into every benchmark program: records the ISA level of zengen's CPU
// kernels in Google Benchmark's context (the header of the console output
// and the "context" object of --benchmark_format=json), so that figures
// taken at different levels (ZENGEN_CPU_ISA) are never confused.
#include <benchmark/benchmark.h>

#include <string>

#include <zengen/zengen.hpp>

namespace {

const bool recorded = [] {
  std::string level;
  try {
    level = std::string(zengen::cpu_isa_name(zengen::cpu_isa()));
  } catch (const zengen::Error& e) {
    level = std::string("error: ") + e.what();
  }
  benchmark::AddCustomContext("zengen_cpu_isa", level);
  benchmark::AddCustomContext("zengen_cpu_isa_best", std::string(zengen::cpu_isa_name(zengen::cpu_isa_best())));
  return true;
}();

}  // namespace
