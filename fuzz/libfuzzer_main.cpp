// One libFuzzer program per target: compiled once per target with
// ZENGEN_FUZZ_TARGET set to its entry function (fuzz/CMakeLists.txt).
#include <cstddef>
#include <cstdint>

#include "targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)zengen::fuzz::ZENGEN_FUZZ_TARGET(data, size);
  return 0;
}
